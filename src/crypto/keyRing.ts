import { type EncryptOptions, encrypt, type OpenedToken, type OpenOptions, openWithKeys } from './fernet.ts';
import { FernetError } from './fernetError.ts';
import type { FernetKey } from './fernetKey.ts';
import { parseKeyText } from './keyText.ts';

/**
 * Several keys, like Python's MultiFernet: the first (primary) encrypts, any of them decrypts.
 *
 * Error codes when no key opens a token: shape, 'expired' and 'future' do not depend on the key
 * (as in Python, timestamps are checked before signatures, so every key fails alike); 'bad-token'
 * if some key's signature matched but its ciphertext would not decrypt; otherwise 'bad-signature'.
 */
export class KeyRing {
  readonly #keys: readonly FernetKey[];

  constructor(keys: readonly FernetKey[]) {
    if (keys.length === 0) throw new FernetError('bad-key', 'a key ring needs at least one key');
    this.#keys = [...keys];
  }

  /** Parses a key file: one key per line; blank lines and lines starting with '#' are skipped. */
  static parse(text: string): KeyRing {
    return new KeyRing(parseKeyText(text));
  }

  get primary(): FernetKey {
    return this.#keys[0]!;
  }

  /** Every key, primary first: each can answer a hub's admission challenge. */
  get keys(): readonly FernetKey[] {
    return this.#keys;
  }

  get size(): number {
    return this.#keys.length;
  }

  encrypt(plaintext: Buffer | string, options?: EncryptOptions): string {
    return encrypt(this.primary, plaintext, options);
  }

  open(token: string | Buffer, options?: OpenOptions): OpenedToken {
    return openWithKeys(this.#keys, token, options);
  }

  decrypt(token: string | Buffer, options?: OpenOptions): Buffer {
    return this.open(token, options).plaintext;
  }
}
