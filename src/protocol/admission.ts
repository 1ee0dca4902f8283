import { ADMISSION_INFO, PUBLIC_KEY_PATTERN, SIGNATURE_PATTERN } from '../crypto/admissionKey.ts';
import { PROTOCOL } from './notice.ts';

/**
 * The admission handshake's lines (docs/protocol.md, "Admission"). A hub started with --admit
 * says `#challenge fernet-chat/1 <nonce> <hub-name>` first, instead of `#hello`; the client
 * answers `#answer <public-key> <signature> [<public-key> <signature>]…`, one pair per key of its
 * key file (up to MAX_ANSWER_KEYS), each signature over signedMessage(hub-name, nonce).
 */

/** The purpose and version that every signature is bound to: the HKDF info, one name for both. */
export const ADMISSION_PURPOSE = ADMISSION_INFO;
/** A client with more keys answers with its first ones: rotation needs two or three. */
export const MAX_ANSWER_KEYS = 16;
/** 16 pairs of 43 + 86 characters and their spaces, and the word: ample. */
export const MAX_ANSWER_BYTES = 8 + MAX_ANSWER_KEYS * (1 + 43 + 1 + 86);

/** 32 random bytes in base64url without padding. */
export const NONCE_PATTERN = /^[A-Za-z0-9_-]{43}$/;
/** A host name or address as clients write it: printable ASCII, no space, at most 253 characters. */
export const HUB_NAME_PATTERN = /^[\x21-\x7e]{1,253}$/;

export interface Challenge {
  readonly nonce: string;
  readonly hubName: string;
}

export interface AnswerPair {
  readonly publicKey: string;
  readonly signature: string;
}

export type ParsedChallenge =
  (Challenge & { readonly ok: true }) | { readonly ok: false; readonly detail: string };
export type ParsedAnswer =
  | { readonly ok: true; readonly pairs: readonly AnswerPair[] }
  | { readonly ok: false; readonly detail: string };

export const CHALLENGE_WORD = '#challenge';
export const ANSWER_WORD = '#answer';

export function challengeLine(nonce: string, hubName: string): string {
  return `${CHALLENGE_WORD} ${PROTOCOL} ${nonce} ${hubName}`;
}

/** What each key signs: purpose, hub and nonce, so an answer is good for one hub and one connection. */
export function signedMessage(hubName: string, nonce: string): Buffer {
  return Buffer.from(`${ADMISSION_PURPOSE} ${hubName} ${nonce}`, 'utf8');
}

export function answerLine(pairs: readonly AnswerPair[]): string {
  return [ANSWER_WORD, ...pairs.flatMap((pair) => [pair.publicKey, pair.signature])].join(' ');
}

/** Parses a `#challenge` notice (without its LF). Extra words at the end are ignored (growth). */
export function parseChallenge(line: string): ParsedChallenge {
  const [word, protocol, nonce = '', hubName = ''] = line.split(' ');
  if (word !== CHALLENGE_WORD) return { ok: false, detail: 'not a #challenge' };
  if (protocol !== PROTOCOL)
    return { ok: false, detail: `unknown protocol ${String(protocol).slice(0, 40)}` };
  if (!NONCE_PATTERN.test(nonce)) return { ok: false, detail: 'malformed nonce' };
  if (!HUB_NAME_PATTERN.test(hubName)) return { ok: false, detail: 'malformed hub name' };
  return { ok: true, nonce, hubName };
}

/** Parses an `#answer` request (without its LF), as the hub reads it. Never throws. */
export function parseAnswer(line: string): ParsedAnswer {
  const bad = (detail: string): ParsedAnswer => ({ ok: false, detail });
  if (line.length > MAX_ANSWER_BYTES) return bad(`#answer is longer than ${MAX_ANSWER_BYTES} bytes`);
  const [word, ...args] = line.split(' ');
  if (word !== ANSWER_WORD) return bad('not an #answer');
  if (args.length === 0 || args.length % 2 !== 0)
    return bad('#answer takes pairs of a public key and a signature');
  const pairs: AnswerPair[] = [];
  for (let i = 0; i < args.length; i += 2) {
    const [publicKey = '', signature = ''] = [args[i], args[i + 1]];
    if (!PUBLIC_KEY_PATTERN.test(publicKey))
      return bad('not a public admission key: 43 base64url characters');
    if (!SIGNATURE_PATTERN.test(signature)) return bad('not a signature: 86 base64url characters');
    pairs.push({ publicKey, signature });
  }
  if (pairs.length > MAX_ANSWER_KEYS) return bad(`#answer holds at most ${MAX_ANSWER_KEYS} keys`);
  return { ok: true, pairs };
}
