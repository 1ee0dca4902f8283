import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { FernetKey, KeyRing } from '../../src/crypto/index.ts';
import type { Envelope } from '../../src/protocol/envelope.ts';

/** Throw-away keys for tests only. */
export const TEST_KEY = 'cw_0x689RpI-jtRR7oE8h_eQsKImvJapLeSbXpwF4e4=';
export const OTHER_KEY = '6mqcFDAHmpcdhaidau5ohHCV0VgxMlXi5Sdh6rtO_2M=';

export const testRing = new KeyRing([FernetKey.parse(TEST_KEY)]);
export const otherRing = new KeyRing([FernetKey.parse(OTHER_KEY)]);

export const FIXED_TIME = new Date('2026-11-23T10:00:00.000Z');
export const FIXED_SECONDS = Math.floor(FIXED_TIME.getTime() / 1000);

/** A uuid that zod accepts, numbered: testId(1) = 00000000-0000-4000-8000-000000000001. */
export function testId(n: number): string {
  return `00000000-0000-4000-8000-${n.toString(16).padStart(12, '0')}`;
}

export function envelope(fields: Partial<Envelope> & Pick<Envelope, 'from'>): Envelope {
  return { v: 1, kind: 'message', text: '', id: testId(1), at: FIXED_TIME.toISOString(), ...fields };
}

/** A token of the test key around any plaintext, dated FIXED_TIME unless told otherwise. */
export function tokenOf(plaintext: string | Buffer | object, ring = testRing, now = FIXED_SECONDS): string {
  const text =
    typeof plaintext === 'string' || Buffer.isBuffer(plaintext) ? plaintext : JSON.stringify(plaintext);
  return ring.encrypt(text, { now });
}

/** Opens a token made by the code under test, with the test key, and parses the envelope in it. */
export function openEnvelope(token: string, ring = testRing): { envelope: unknown; issuedAt: number } {
  const opened = ring.open(token);
  return { envelope: JSON.parse(opened.plaintext.toString('utf8')), issuedAt: opened.issuedAt };
}

/** A temporary directory, removed by the returned cleanup. */
export function tempDir(prefix = 'fernet-chat-test-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Writes a key file holding `key`, with `mode` (0600 unless told). */
export function writeTestKeyFile(dir: string, name = 'test.key', key = TEST_KEY, mode = 0o600): string {
  const path = join(dir, name);
  writeFileSync(path, `# test key\n${key}\n`, { mode });
  chmodSync(path, mode); // the umask may have taken bits away
  return path;
}

/** A key file of the test key, made before a file's tests and removed after them: use `.path`. */
export function useTestKeyFile(): { readonly path: string } {
  const key = { path: '' };
  let cleanup = () => {};
  beforeAll(() => {
    const temp = tempDir();
    cleanup = temp.cleanup;
    key.path = writeTestKeyFile(temp.dir);
  });
  afterAll(() => cleanup());
  return key;
}
