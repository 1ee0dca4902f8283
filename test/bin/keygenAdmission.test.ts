import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { admissionKeyOf } from '../../src/crypto/admissionKey.ts';
import { AdmitList } from '../../src/crypto/admitList.ts';
import { FernetKey } from '../../src/crypto/fernetKey.ts';
import { fingerprint } from '../../src/crypto/fingerprint.ts';
import { runBin, stopAll } from '../support/bins.ts';
import { OTHER_KEY, TEST_KEY, tempDir, writeTestKeyFile } from '../support/testKey.ts';

// `fernet-chat-keygen --admission KEYFILE`: the public admission keys, one a line, as the hub's
// --admit file reads them.

let dir: string;
let cleanup: () => void;
beforeAll(() => {
  ({ dir, cleanup } = tempDir('fernet-chat-keygen-admission-'));
});
afterEach(stopAll);
afterAll(() => cleanup());

describe('keygen --admission', () => {
  it('prints one public key per key of a rotated key file, which an admit file reads back, and writes nothing', async () => {
    const keyFile = writeTestKeyFile(dir, 'rotated.key', `# new first\n${OTHER_KEY}\n${TEST_KEY}`);
    const before = readdirSync(dir);
    const run = await runBin('keygen', ['--admission', keyFile]);
    expect(run.exit.code, run.stderr).toBe(0);
    const keys = [OTHER_KEY, TEST_KEY].map((text) => FernetKey.parse(text));
    expect(run.stdout).toBe(
      [
        `# fernet-chat admission keys of ${keyFile} (public: they decrypt nothing)`,
        ...keys.map((key) => `${admissionKeyOf(key).publicKey} # key ${fingerprint(key)}`),
        '',
      ].join('\n'),
    );
    expect(AdmitList.parse(run.stdout, 'stdout').size).toBe(2);
    expect(readdirSync(dir)).toEqual(before);
    // Nothing secret on the way: neither key appears in what is printed.
    expect(run.stdout).not.toContain(OTHER_KEY.slice(0, 20));
    expect(run.stdout).not.toContain(TEST_KEY.slice(0, 20));
  });

  it('refuses a key file others can read, as the client does', async () => {
    const keyFile = writeTestKeyFile(dir, 'open.key', TEST_KEY, 0o644);
    const run = await runBin('keygen', ['--admission', keyFile]);
    expect(run.exit.code).toBe(1);
    expect(run.stderr).toBe(
      `fernet-chat-keygen: key file ${keyFile} is readable by others (mode 0644); fix it with: chmod 600 ${keyFile}\n`,
    );
  });

  it('refuses a FILE to write beside it, in one line', async () => {
    const keyFile = writeTestKeyFile(dir, 'chat.key');
    const run = await runBin('keygen', ['--admission', keyFile, join(dir, 'new.key')]);
    expect(run.exit.code).toBe(2);
    expect(run.stderr).toBe(
      'fernet-chat-keygen: --admission reads a key file and writes nothing: give it no FILE, no --from-seed and no --identity\n',
    );
  });
});
