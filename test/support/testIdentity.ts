import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Identity } from '../../src/crypto/identity.ts';
import { writeIdentityFile } from '../../src/crypto/identityFile.ts';

let dir: string | undefined;
let pinsFiles = 0;

/** The directory of this test process's identities and pins, removed when it exits. */
function identityDir(): string {
  if (dir === undefined) {
    const made = mkdtempSync(join(tmpdir(), 'fernet-chat-identities-'));
    process.once('exit', () => rmSync(made, { recursive: true, force: true }));
    dir = made;
  }
  return dir;
}

/** The identity file of a test person, made on first use: one key per name in a test process. */
export function testIdentityFile(name: string): string {
  const file = join(
    identityDir(),
    `${createHash('sha256').update(name).digest('hex').slice(0, 16)}.identity`,
  );
  if (!existsSync(file)) writeIdentityFile(file, Identity.generate());
  return file;
}

/** A pinned-names file of its own for one client run, so that runs never share pins. */
export function freshPinsFile(): string {
  return join(identityDir(), `pinned-names-${++pinsFiles}`);
}

/** The client flags that give a test client its person's identity and pins of its own. */
export function identityArgs(name: string): string[] {
  return ['--identity-file', testIdentityFile(name), '--pinned-names-file', freshPinsFile()];
}
