import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { readKeyFile } from '../../src/crypto/keyFile.ts';
import { ROOT, runBin, stopAll } from '../support/bins.ts';
import { tempDir } from '../support/testKey.ts';

// `fernet-chat-keygen --from-seed chave.key [FILE]`, run as the real bin on the Python-made
// pickles in fixtures/seed/ (see its README).
const SEEDS = join(ROOT, 'fixtures/seed');
const EXPECTED = readFileSync(join(SEEDS, 'expected.key'), 'ascii').trim();

let dir: string;
let cleanup: () => void;
beforeAll(() => {
  ({ dir, cleanup } = tempDir('fernet-chat-keygen-'));
});
afterEach(stopAll);
afterAll(() => cleanup());

let fileNumber = 0;
const freshPath = () => join(dir, `out-${++fileNumber}.key`);

describe('keygen --from-seed on pickles written by Python', () => {
  it.each(['chave-p2.key', 'chave-p3.key', 'chave-p4.key', 'chave-p5.key'])(
    'imports %s as the key in expected.key, mode 0600',
    async (seed) => {
      const out = freshPath();
      const run = await runBin('keygen', ['--from-seed', join(SEEDS, seed), out]);
      expect(run.exit.code, run.stderr).toBe(0);
      expect(run.stderr).toBe('');
      expect(run.stdout).toContain(`to ${out} (mode 0600)`);
      expect(statSync(out).mode & 0o777).toBe(0o600);
      const lines = readFileSync(out, 'utf8').split('\n');
      expect(lines[0]).toMatch(/^# fernet-chat key, imported from .*chave-p\d\.key/);
      expect(lines.filter((line) => line !== '' && !line.startsWith('#'))).toEqual([EXPECTED]);
      // The file is one the client accepts as it is.
      expect(readKeyFile(out).primary.toString()).toBe(EXPECTED);
    },
  );

  it('writes chat.key in the working directory when no FILE is given', async () => {
    const { dir: cwd, cleanup: remove } = tempDir('fernet-chat-keygen-cwd-');
    try {
      const run = await runBin('keygen', ['--from-seed', join(SEEDS, 'chave-p4.key')], { cwd });
      expect(run.exit.code, run.stderr).toBe(0);
      expect(readKeyFile(join(cwd, 'chat.key')).primary.toString()).toBe(EXPECTED);
    } finally {
      remove();
    }
  });

  it('also reads the file named by FERNET_CHAT_KEYGEN_FROM_SEED', async () => {
    const out = freshPath();
    const run = await runBin('keygen', [out], {
      env: { FERNET_CHAT_KEYGEN_FROM_SEED: join(SEEDS, 'chave-p3.key') },
    });
    expect(run.exit.code, run.stderr).toBe(0);
    expect(readKeyFile(out).primary.toString()).toBe(EXPECTED);
  });

  it('never overwrites an existing file (exit 1, the file untouched)', async () => {
    const out = freshPath();
    writeFileSync(out, 'precious\n', { mode: 0o600 });
    const run = await runBin('keygen', ['--from-seed', join(SEEDS, 'chave-p4.key'), out]);
    expect(run.exit.code).toBe(1);
    expect(run.stderr.trim()).toBe(
      `fernet-chat-keygen: ${out} already exists; not overwriting it (choose another file name)`,
    );
    expect(readFileSync(out, 'utf8')).toBe('precious\n');
  });
});

describe('keygen --from-seed refuses what is not a saved Fernet key', () => {
  it.each([
    ['evil-os-system.key', /pickle names the global 'posix\.system'; only cryptography\.fernet\.Fernet/],
    ['evil-os-system-p2.key', /'posix\.system'/],
    ['evil-eval.key', /'builtins\.eval'/],
    ['evil-subprocess.key', /'subprocess\.check_call'/],
    ['evil-in-state.key', /'posix\.system'/],
  ])('%s: refused with exit 1, nothing executed, nothing written', async (seed, message) => {
    const out = freshPath();
    const marker = join(dir, `pwned-${seed}`);
    // Loaded by Python's pickle, these files would run `touch "$FERNET_CHAT_PWNED_MARKER"`.
    const run = await runBin('keygen', ['--from-seed', join(SEEDS, seed), out], {
      env: { FERNET_CHAT_PWNED_MARKER: marker },
    });
    expect(run.exit.code).toBe(1);
    expect(run.stdout).toBe('');
    const lines = run.stderr.split('\n').filter(Boolean);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^fernet-chat-keygen: \/.*\.key: /);
    expect(lines[0]).toMatch(message);
    expect(existsSync(marker)).toBe(false);
    expect(existsSync(out)).toBe(false);
  });

  it.each([
    ['wrong-class.key', /'collections\.OrderedDict'/],
    ['wrong-class-multifernet.key', /'cryptography\.fernet\.MultiFernet'/],
    ['wrong-length.key', /not a saved Fernet key/],
    ['wrong-length-p2.key', /not a saved Fernet key/],
    ['missing-key.key', /not a saved Fernet key/],
    ['wrong-type.key', /not a saved Fernet key/],
    ['extra-key.key', /not a saved Fernet key/],
    ['unsupported-p0.key', /protocols 0 and 1 are not supported/],
    ['unsupported-p1.key', /protocols 0 and 1 are not supported/],
    ['expected.key', /already a plain Fernet key/],
  ])('%s: one clear line, exit 1, nothing written', async (seed, message) => {
    const out = freshPath();
    const run = await runBin('keygen', ['--from-seed', join(SEEDS, seed), out]);
    expect(run.exit.code).toBe(1);
    const lines = run.stderr.split('\n').filter(Boolean);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(message);
    expect(existsSync(out)).toBe(false);
  });

  it('a truncated pickle', async () => {
    const cut = join(dir, 'truncated.key');
    writeFileSync(cut, readFileSync(join(SEEDS, 'chave-p4.key')).subarray(0, 60));
    const out = freshPath();
    const run = await runBin('keygen', ['--from-seed', cut, out]);
    expect(run.exit.code).toBe(1);
    expect(run.stderr).toMatch(/truncated\.key: the file ends in the middle of the pickle/);
    expect(existsSync(out)).toBe(false);
  });

  it.each([
    ['a missing file', () => join(dir, 'no-such.key'), /no-such\.key does not exist/],
    ['a directory', () => dir, /is a directory, not a regular file/],
    [
      'a huge file',
      () => {
        const big = join(dir, 'big.key');
        writeFileSync(big, Buffer.alloc(1024 * 1024));
        return big;
      },
      /big\.key is 1048576 bytes, far too large/,
    ],
  ])('%s: exit 1 with one line', async (_label, path, message) => {
    const out = freshPath();
    const run = await runBin('keygen', ['--from-seed', path(), out]);
    expect(run.exit.code).toBe(1);
    expect(run.stderr.split('\n').filter(Boolean)).toEqual([expect.stringMatching(message)]);
    expect(existsSync(out)).toBe(false);
  });
});

describe('keygen --from-seed usage errors exit 2', () => {
  it.each([
    [['--from-seed'], /--from-seed needs a value/],
    [['--from-seed', ''], /fromSeed = "" from --from-seed/],
    [['--from-seed', 'chave.key', 'a.key', 'b.key'], /unexpected argument "b\.key"/],
  ])('%j', async (args, message) => {
    const run = await runBin('keygen', args, { cwd: dir });
    expect(run.exit.code).toBe(2);
    expect(run.stderr).toMatch(message);
    expect(existsSync(join(dir, 'chat.key'))).toBe(false);
  });

  it('--help names --from-seed', async () => {
    const run = await runBin('keygen', ['--help']);
    expect(run.exit.code).toBe(0);
    expect(run.stdout).toContain('--from-seed');
  });
});
