import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  closeSync,
  ftruncateSync,
  mkdirSync,
  openSync,
  readFileSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { FernetKey } from '../../src/crypto/index.ts';
import { fingerprint } from '../../src/crypto/fingerprint.ts';
import {
  KeyFileError,
  MAX_KEY_FILE_BYTES,
  readKeyFile,
  writeKeyFile,
  isTooOpen,
} from '../../src/crypto/keyFile.ts';
import { clientArgs, runBin, stopAll } from '../support/bins.ts';
import { OTHER_KEY, otherRing, TEST_KEY, tempDir, testRing, writeTestKeyFile } from '../support/testKey.ts';

let dir: string;
let cleanup: () => void;
beforeAll(() => {
  ({ dir, cleanup } = tempDir('fernet-chat-keyfile-'));
});
afterEach(stopAll);
afterAll(() => cleanup());

let fileNumber = 0;
const freshName = () => `key-${++fileNumber}.key`;

function keyFileError(action: () => unknown): KeyFileError {
  try {
    action();
  } catch (error) {
    if (error instanceof KeyFileError) return error;
    throw error;
  }
  throw new Error('expected a KeyFileError');
}

const keysIn = (text: string) => text.split('\n').filter((line) => line !== '' && !line.startsWith('#'));

describe('fernet-chat-keygen (the real bin)', () => {
  it('writes chat.key with mode 0600 in the working directory, and never overwrites it', async () => {
    const { dir: cwd, cleanup: remove } = tempDir('fernet-chat-keygen-');
    try {
      const first = await runBin('keygen', [], { cwd });
      expect(first.exit.code, first.stderr).toBe(0);
      const path = join(cwd, 'chat.key');
      // The fingerprint the client shows at start, so that people can compare keys by voice.
      expect(first.stdout).toBe(
        `wrote a new key to chat.key (mode 0600)\nkey fingerprint ${fingerprint(readKeyFile(path).primary)}\n`,
      );
      expect(statSync(path).mode & 0o777).toBe(0o600);
      const written = readFileSync(path, 'utf8');
      expect(keysIn(written)).toHaveLength(1);
      expect(keysIn(written)[0]).toMatch(/^[A-Za-z0-9_-]{43}=$/);
      expect(readKeyFile(path).primary.toString()).toBe(keysIn(written)[0]);

      const second = await runBin('keygen', [], { cwd });
      expect(second.exit.code).toBe(1);
      expect(second.stdout).toBe('');
      expect(second.stderr).toBe(
        'fernet-chat-keygen: chat.key already exists; not overwriting it (choose another file name)\n',
      );
      expect(readFileSync(path, 'utf8')).toBe(written);
    } finally {
      remove();
    }
  });

  it('writes the FILE it is given, a different key each time, and refuses a second FILE', async () => {
    const a = join(dir, freshName());
    const b = join(dir, freshName());
    const [runA, runB, both] = await Promise.all([
      runBin('keygen', [a]),
      runBin('keygen', [b]),
      runBin('keygen', [join(dir, freshName()), join(dir, freshName())]),
    ]);
    expect(runA.exit.code, runA.stderr).toBe(0);
    expect(runB.exit.code, runB.stderr).toBe(0);
    expect(statSync(a).mode & 0o777).toBe(0o600);
    expect(readKeyFile(a).primary.toString()).not.toBe(readKeyFile(b).primary.toString());
    expect(both.exit.code).toBe(2);
    expect(both.stderr).toMatch(
      /^fernet-chat-keygen: unexpected argument ".*" \(see fernet-chat-keygen --help\)\n$/,
    );
  });
});

describe('readKeyFile', () => {
  it('reads a 0600 (or 0400) file into a key ring', () => {
    const path = writeTestKeyFile(dir, freshName());
    expect(readKeyFile(path).primary.toString()).toBe(TEST_KEY);
    const readOnly = writeTestKeyFile(dir, freshName(), TEST_KEY, 0o400);
    expect(readKeyFile(readOnly).size).toBe(1);
  });

  it.each([0o644, 0o640, 0o604, 0o660, 0o666])('refuses a file of mode %o, saying how to fix it', (mode) => {
    const path = writeTestKeyFile(dir, freshName(), TEST_KEY, mode);
    const error = keyFileError(() => readKeyFile(path));
    expect(error.code).toBe('too-open');
    expect(error.message).toBe(
      `key file ${path} is readable by others (mode ${mode.toString(8).padStart(4, '0')}); fix it with: chmod 600 ${path}`,
    );
  });

  it('says how to make a key file that does not exist', () => {
    const path = join(dir, 'missing.key');
    const error = keyFileError(() => readKeyFile(path));
    expect(error.code).toBe('not-found');
    expect(error.message).toBe(
      `key file ${path} does not exist (create one with: npm run keygen -- ${path})`,
    );
  });

  it('refuses a bad key line, naming the line', () => {
    const path = join(dir, freshName());
    writeFileSync(path, `# comment\n\n${TEST_KEY.replace('_', '/')}\n`, { mode: 0o600 });
    const error = keyFileError(() => readKeyFile(path));
    expect(error.code).toBe('bad-key');
    expect(error.message).toMatch(new RegExp(`^key file ${path}: line 3: not a Fernet key \\(.*'-' and '_'`));
  });

  it('refuses a file with only comments and blank lines', () => {
    const path = join(dir, freshName());
    writeFileSync(path, '# nothing here\n\n', { mode: 0o600 });
    expect(keyFileError(() => readKeyFile(path))).toMatchObject({ code: 'bad-key' });
  });

  it('reads several keys: the first encrypts, any decrypts (rotation)', () => {
    const path = join(dir, freshName());
    writeFileSync(path, `# new key first\n${OTHER_KEY}\r\n# old key\n${TEST_KEY}\n`, { mode: 0o600 });
    const ring = readKeyFile(path);
    expect(ring.size).toBe(2);
    expect(ring.primary.toString()).toBe(OTHER_KEY);
    expect(ring.decrypt(testRing.encrypt('from before the rotation')).toString()).toBe(
      'from before the rotation',
    );
    expect(otherRing.decrypt(ring.encrypt('after it')).toString()).toBe('after it');
  });
});

/** The process's peak resident memory so far, in bytes (VmHWM: a buffer freed since still counts). */
function peakRss(): number {
  const kib = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync('/proc/self/status', 'utf8'))?.[1];
  return Number(kib) * 1024;
}

const notAFile = (path: string, kind: string) =>
  `key file ${path} is ${kind}, not a regular file (make a key file with: npm run keygen -- FILE)`;

describe('readKeyFile and what is not a key file', () => {
  it.each([0o755, 0o700])('refuses a directory of mode %o as a directory, with no chmod advice', (mode) => {
    const path = join(dir, `dir-${mode.toString(8)}`);
    mkdirSync(path);
    chmodSync(path, mode);
    const error = keyFileError(() => readKeyFile(path));
    expect(error.code).toBe('not-a-file');
    expect(error.message).toBe(notAFile(path, 'a directory'));
  });

  it('refuses a unix socket as a socket', async () => {
    const path = join(dir, 'key.sock');
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(path, resolve));
    try {
      const error = keyFileError(() => readKeyFile(path));
      expect(error.code).toBe('not-a-file');
      expect(error.message).toBe(notAFile(path, 'a socket'));
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('refuses a sparse 1 GiB file of mode 0600 before reading any of it', () => {
    const path = join(dir, freshName());
    const fd = openSync(path, 'wx', 0o600);
    ftruncateSync(fd, 1024 ** 3); // sparse: no disk used
    closeSync(fd);
    const before = peakRss();
    const error = keyFileError(() => readKeyFile(path));
    const grew = peakRss() - before;
    console.log(`a 1 GiB key file refused; peak RSS grew by ${(grew / 1024 / 1024).toFixed(1)} MiB`);
    expect(error.code).toBe('too-large');
    expect(error.message).toBe(
      `key file ${path} is ${1024 ** 3} bytes, too big for a key file (at most ${MAX_KEY_FILE_BYTES} bytes, room for over 1,400 keys)`,
    );
    expect(grew).toBeLessThan(16 * 1024 * 1024);
  });

  it('reads a file of exactly the limit, with 1,400 keys in it', () => {
    const path = join(dir, freshName());
    const keys = `${Array.from({ length: 1_400 }, () => TEST_KEY).join('\n')}\n`;
    writeFileSync(path, keys.padEnd(MAX_KEY_FILE_BYTES - 1, '#').concat('\n'), { mode: 0o600 });
    expect(statSync(path).size).toBe(MAX_KEY_FILE_BYTES);
    expect(readKeyFile(path).size).toBe(1_400);
  });
});

describe('writeKeyFile', () => {
  it('writes keys and a comment with mode 0600, and never replaces a file', () => {
    const path = join(dir, freshName());
    writeKeyFile(path, [FernetKey.parse(TEST_KEY), FernetKey.parse(OTHER_KEY)], 'for tests');
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(readFileSync(path, 'utf8')).toBe(`# for tests\n${TEST_KEY}\n${OTHER_KEY}\n`);
    const error = keyFileError(() => writeKeyFile(path, [FernetKey.generate()]));
    expect(error.code).toBe('exists');
    expect(readKeyFile(path).primary.toString()).toBe(TEST_KEY);
  });

  it('says why it cannot create a file in a directory that does not exist', () => {
    const error = keyFileError(() => writeKeyFile(join(dir, 'no-such-dir', 'k.key'), [FernetKey.generate()]));
    expect(error.message).toMatch(/cannot create .*: its folder does not exist/);
  });

  it('says so when a part of the path is a file, not a folder', () => {
    const file = join(dir, 'plain-file');
    writeKeyFile(file, [FernetKey.generate()]);
    const error = keyFileError(() => writeKeyFile(join(file, 'k.key'), [FernetKey.generate()]));
    expect(error.message).toBe(
      `cannot create ${join(file, 'k.key')}: a part of its path is a file, not a folder`,
    );
  });
});

describe('the client and a key file', () => {
  it('refuses a FIFO of mode 0600 at once instead of waiting for a writer: exit 2, one line', async () => {
    const path = join(dir, 'key.fifo');
    execFileSync('mkfifo', ['-m', '600', path]);
    const run = await runBin('client', clientArgs(9, path, 'x'));
    expect(run.exit.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toBe(`fernet-chat-client: ${notAFile(path, 'a FIFO (named pipe)')}\n`);
  });

  it('refuses to start with a key file others can read: exit 2, one line with the chmod hint', async () => {
    const path = writeTestKeyFile(dir, freshName(), TEST_KEY, 0o644);
    const run = await runBin('client', clientArgs(9, path, 'x'));
    expect(run.exit.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toBe(
      `fernet-chat-client: key file ${path} is readable by others (mode 0644); fix it with: chmod 600 ${path}\n`,
    );
  });
});

describe('isTooOpen (the mode check)', () => {
  it('refuses group or other bits on POSIX systems, and checks nothing on Windows, where modes are not access', () => {
    expect(isTooOpen(0o100600, 'linux')).toBe(false);
    expect(isTooOpen(0o100640, 'linux')).toBe(true);
    expect(isTooOpen(0o100604, 'darwin')).toBe(true);
    // What Node reports for any writable file on Windows, whatever its ACL.
    expect(isTooOpen(0o100666, 'win32')).toBe(false);
  });
});
