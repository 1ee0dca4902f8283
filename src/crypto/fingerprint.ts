import { createHash } from 'node:crypto';
import type { FernetKey } from './fernetKey.ts';

/**
 * A short name for a key that people can read to each other to check they hold the same one:
 * the first 8 bytes of SHA-256 over the signing and encryption key bytes, in hex groups of four
 * (`3f2a 9c01 77be 0d4e`). It identifies a key without revealing it; 64 bits are plenty to tell
 * a group's few keys apart, though not to stop someone who sets out to forge a look-alike.
 */
export function fingerprint(key: FernetKey): string {
  const digest = createHash('sha256').update(key.signingKey).update(key.encryptionKey).digest('hex');
  return (digest.slice(0, 16).match(/.{4}/g) ?? []).join(' ');
}
