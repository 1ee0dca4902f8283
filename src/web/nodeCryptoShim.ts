import { sha256 } from './sha256.ts';

/**
 * What the page's bundle gets for `node:crypto` (esbuild's alias): the little that code shared
 * with the terminal client asks of it outside Fernet, which runs on Web Crypto (webFernet.ts).
 * Anything else it imported would fail the build (no such export), not run.
 */
export function createHash(algorithm: 'sha256') {
  if (algorithm !== 'sha256') throw new Error(`no ${String(algorithm)} in the page`);
  const parts: Uint8Array[] = [];
  const hash = {
    update(data: Uint8Array) {
      parts.push(data);
      return hash;
    },
    digest(encoding?: 'hex') {
      const bytes = Buffer.from(sha256(Buffer.concat(parts)));
      return encoding === 'hex' ? bytes.toString('hex') : bytes;
    },
  };
  return hash;
}

export function randomBytes(size: number): Buffer {
  return Buffer.from(globalThis.crypto.getRandomValues(new Uint8Array(size)));
}

/**
 * Ed25519 through node:crypto is the terminal's; the page signs and verifies on Web Crypto
 * (crypto/webSigner.ts, crypto/webSignatures.ts), so these are never called there. They exist so that the modules
 * the two clients share still bundle.
 */
function terminalOnly(what: string): never {
  throw new Error(`${what} is the terminal client's: the page uses Web Crypto`);
}
export const createPrivateKey = (): never => terminalOnly('createPrivateKey');
export const createPublicKey = (): never => terminalOnly('createPublicKey');
export const sign = (): never => terminalOnly('sign');
export const verify = (): never => terminalOnly('verify');
export const hkdfSync = (): never => terminalOnly('hkdfSync');
