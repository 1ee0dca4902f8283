import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { octalMode, readSmallFile } from '../../src/config/smallFile.ts';
import { tempDir } from '../support/testKey.ts';

let dir: string;
let cleanup: () => void;
beforeAll(() => {
  ({ dir, cleanup } = tempDir('fernet-chat-smallfile-'));
});
afterAll(() => cleanup());

describe('readSmallFile', () => {
  it('reads a regular file up to its limit, as bytes and as text', () => {
    const path = join(dir, 'ok');
    writeFileSync(path, 'héllo\n');
    const file = readSmallFile(path, { maxBytes: 7 });
    expect(file).toMatchObject({ ok: true, text: 'héllo\n' });
    expect(file.ok && file.bytes.length).toBe(7);
  });

  it('says what is wrong instead of reading: missing, too large, refused by its mode', () => {
    expect(readSmallFile(join(dir, 'none'), { maxBytes: 10 })).toEqual({
      ok: false,
      problem: { code: 'not-found' },
    });
    const big = join(dir, 'big');
    writeFileSync(big, 'x'.repeat(11));
    expect(readSmallFile(big, { maxBytes: 10 })).toEqual({
      ok: false,
      problem: { code: 'too-large', size: '11 bytes' },
    });
    const open = join(dir, 'open');
    writeFileSync(open, 'secret');
    chmodSync(open, 0o644);
    const refused = readSmallFile(open, { maxBytes: 10, refuseMode: (mode) => (mode & 0o077) !== 0 });
    expect(refused).toMatchObject({ ok: false, problem: { code: 'too-open' } });
    expect(!refused.ok && refused.problem.code === 'too-open' && octalMode(refused.problem.mode)).toBe(
      '0644',
    );
  });

  it('reads no directory, FIFO or socket, and does not wait on a FIFO with no writer', async () => {
    const sub = join(dir, 'sub');
    mkdirSync(sub);
    expect(readSmallFile(sub, { maxBytes: 10 })).toEqual({
      ok: false,
      problem: { code: 'not-a-file', kind: 'a directory' },
    });
    const fifo = join(dir, 'fifo');
    execFileSync('mkfifo', [fifo]);
    expect(readSmallFile(fifo, { maxBytes: 10 })).toEqual({
      ok: false,
      problem: { code: 'not-a-file', kind: 'a FIFO (named pipe)' },
    });
    const socketPath = join(dir, 'socket');
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(socketPath, resolve));
    try {
      expect(readSmallFile(socketPath, { maxBytes: 10 })).toEqual({
        ok: false,
        problem: { code: 'not-a-file', kind: 'a socket' },
      });
    } finally {
      server.close();
    }
  });

  it('refuses a character device, which may never end', () => {
    expect(readSmallFile('/dev/zero', { maxBytes: 10 })).toEqual({
      ok: false,
      problem: { code: 'not-a-file', kind: 'a character device' },
    });
  });
});
