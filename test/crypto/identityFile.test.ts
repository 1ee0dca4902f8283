import { execFileSync } from 'node:child_process';
import { chmodSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Identity } from '../../src/crypto/identity.ts';
import {
  formatIdentityFile,
  IdentityFileError,
  parseIdentityFile,
  readIdentityFile,
  writeIdentityFile,
} from '../../src/crypto/identityFile.ts';
import { TEST_KEY, tempDir } from '../support/testKey.ts';

const codeOf = (run: () => unknown) => {
  try {
    run();
  } catch (error) {
    if (error instanceof IdentityFileError) return [error.code, error.message];
    throw error;
  }
  return undefined;
};

describe('identity files', () => {
  it('round-trip: written 0600, read back the same key; never overwritten', () => {
    const { dir, cleanup } = tempDir();
    try {
      const path = join(dir, 'me.identity');
      const identity = Identity.generate();
      writeIdentityFile(path, identity);
      expect(statSync(path).mode & 0o777).toBe(0o600);
      expect(readIdentityFile(path).publicKey).toEqual(identity.publicKey);
      const before = readFileSync(path, 'utf8');
      expect(codeOf(() => writeIdentityFile(path, Identity.generate()))).toEqual([
        'exists',
        `${path} already exists; not overwriting it (choose another file name)`,
      ]);
      expect(readFileSync(path, 'utf8')).toBe(before);
    } finally {
      cleanup();
    }
  });

  it('refuses a file others can read, a missing one, a FIFO, a chat key and a bad seed, in one line each', () => {
    const { dir, cleanup } = tempDir();
    try {
      const path = join(dir, 'id');
      writeFileSync(path, formatIdentityFile(Identity.generate(), new Date()));
      chmodSync(path, 0o644);
      expect(codeOf(() => readIdentityFile(path))).toEqual([
        'too-open',
        `identity file ${path} is readable by others (mode 0644); fix it with: chmod 600 ${path}`,
      ]);
      expect(codeOf(() => readIdentityFile(join(dir, 'none')))?.[0]).toBe('not-found');
      expect(codeOf(() => readIdentityFile(join(dir, 'none')))?.[1]).toContain(
        'npm run keygen -- --identity',
      );
      execFileSync('mkfifo', ['-m', '600', join(dir, 'fifo')]);
      expect(codeOf(() => readIdentityFile(join(dir, 'fifo')))?.[0]).toBe('not-a-file');
    } finally {
      cleanup();
    }
    expect(parseIdentityFile(`# chat key\n${TEST_KEY}\n`)).toBe(
      'line 2 is a chat key, not an identity (an identity is made with: npm run keygen -- --identity FILE)',
    );
    expect(parseIdentityFile('ed25519-seed abc\n')).toBe(
      'line 1: the seed is not 43 base64url characters (32 bytes)',
    );
    expect(parseIdentityFile('# nothing\n')).toBe(
      'no seed line found (the file has only blank lines and comments)',
    );
    const line = formatIdentityFile(Identity.generate(), new Date()).split('\n')[3]!;
    expect(parseIdentityFile(`${line}\n${line}\n`)).toBe(
      'line 2: a second seed (an identity file holds one)',
    );
  });
});
