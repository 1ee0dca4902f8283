import { readSmallFile } from '../config/smallFile.ts';
import type { KeyObject } from 'node:crypto';
import { publicKeyOf, verifySignature } from './admissionKey.ts';

/** Why an admit file cannot be used; the message names the file and says what to do. */
export class AdmitFileError extends Error {
  override readonly name = 'AdmitFileError';
  readonly code = 'admit-file';
}

/** An admit file is a short list of public keys: 64 KiB holds over a thousand, with comments. */
export const MAX_ADMIT_FILE_BYTES = 64 * 1024;

/** The answer a hub got, checked: which admitted key signed, or why none did. */
export type AdmitVerdict =
  | { readonly ok: true; readonly publicKey: string }
  | { readonly ok: false; readonly why: 'unknown-key' | 'bad-signature' };

/**
 * The public admission keys a hub admits (--admit): what `fernet-chat-keygen --admission` prints,
 * one per line, `#` comments allowed. It holds nothing that decrypts or that can answer a
 * challenge: a stolen admit file admits no one.
 */
export class AdmitList {
  readonly #keys: ReadonlyMap<string, KeyObject>;

  private constructor(keys: ReadonlyMap<string, KeyObject>) {
    this.#keys = keys;
  }

  /** Parses an admit file's text; throws an AdmitFileError that names `source` and the line. */
  static parse(text: string, source: string): AdmitList {
    const keys = new Map<string, KeyObject>();
    for (const [index, raw] of text.split('\n').entries()) {
      const line = raw.replace(/#.*/, '').trim();
      if (line === '') continue;
      const where = `admit file ${source}, line ${index + 1}`;
      // The one mistake that matters: the chat key itself would let the hub read everything.
      if (/^[A-Za-z0-9_-]{43}=$/.test(line))
        throw new AdmitFileError(
          `${where}: this is a Fernet chat key, which must never be given to the hub; put there what fernet-chat-keygen --admission KEYFILE prints`,
        );
      const key = publicKeyOf(line);
      if (key === undefined)
        throw new AdmitFileError(
          `${where}: not a public admission key (43 base64url characters, as fernet-chat-keygen --admission KEYFILE prints)`,
        );
      keys.set(line, key);
    }
    if (keys.size === 0)
      throw new AdmitFileError(
        `admit file ${source} holds no key (make its lines with fernet-chat-keygen --admission KEYFILE)`,
      );
    return new AdmitList(keys);
  }

  get size(): number {
    return this.#keys.size;
  }

  /**
   * Checks an answer: admitted if a key on the list signed `message`. Only pairs whose key is
   * on the list cost a verification, so an outsider's answer costs lookups, not signature checks.
   */
  check(pairs: readonly { publicKey: string; signature: string }[], message: Buffer): AdmitVerdict {
    let known = false;
    for (const pair of pairs) {
      const key = this.#keys.get(pair.publicKey);
      if (key === undefined) continue;
      known = true;
      if (verifySignature(key, message, pair.signature)) return { ok: true, publicKey: pair.publicKey };
    }
    return { ok: false, why: known ? 'bad-signature' : 'unknown-key' };
  }
}

/** Reads an admit file: a regular file of at most MAX_ADMIT_FILE_BYTES (public: any mode). */
export function readAdmitFile(path: string): AdmitList {
  const file = readSmallFile(path, { maxBytes: MAX_ADMIT_FILE_BYTES });
  if (file.ok) return AdmitList.parse(file.text, path);
  const problem = file.problem;
  switch (problem.code) {
    case 'not-found':
      throw new AdmitFileError(
        `admit file ${path} does not exist (make it with: fernet-chat-keygen --admission KEYFILE > ${path})`,
      );
    case 'not-a-file':
      throw new AdmitFileError(`admit file ${path} is ${problem.kind}, not a regular file`);
    case 'too-large':
      throw new AdmitFileError(
        `admit file ${path} is ${problem.size}, too big for a list of public keys (at most ${MAX_ADMIT_FILE_BYTES})`,
      );
    case 'too-open':
    case 'unreadable':
      throw new AdmitFileError(
        `cannot read admit file ${path} (${problem.code === 'unreadable' ? problem.errno : 'its mode'})`,
      );
  }
}
