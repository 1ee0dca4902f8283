import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseRecording } from '../../src/recording/parseRecording.ts';
import { runBin, stopAll } from '../support/bins.ts';
import { startTestHub } from '../support/hub.ts';
import { RawSocket } from '../support/rawSocket.ts';
import { tempDir, tokenOf } from '../support/testKey.ts';

describe('fernet-chat-hub --record', () => {
  let cleanup: (() => void) | undefined;
  afterEach(async () => {
    await stopAll();
    cleanup?.();
  });

  it('records joins, frames one by one, refusals (why, not what), pings and leaves, and closes the file on SIGTERM', async () => {
    const temp = tempDir();
    cleanup = temp.cleanup;
    const path = join(temp.dir, 'session.jsonl');
    const hub = await startTestHub(['--record', path]);
    const a = await RawSocket.open(hub.port);
    await a.waitForLine('#hello');
    const b = await RawSocket.open(hub.port);
    await b.waitForLine('#hello');
    const [t1, t2] = [tokenOf('one'), tokenOf('two')];
    await a.write(`${t1}\n${t2}\nmy secret plaintext\n#ping\n`);
    await a.waitForLine('#pong');
    await b.waitForLines(2, (line) => line.startsWith('gAAAA'));
    b.destroy();
    await a.waitForLine('#left');
    hub.bin.kill('SIGTERM');
    await hub.bin.waitForExit();
    expect(hub.bin.stderr).toMatch(/event=record-closed records=\d+ dropped=0/);

    const text = readFileSync(path, 'utf8');
    expect(text).not.toContain('secret');
    const parsed = parseRecording(text);
    if (!parsed.ok) throw new Error(parsed.error.message);
    const records = parsed.recording.entries.map((e) => e.record).filter((r) => r.type !== 'tick');
    expect(records.map((r) => (r.type === 'frame' ? r.data : r.type))).toEqual([
      'join',
      'join',
      t1,
      t2,
      'reject',
      'notice',
      'ping',
      'leave',
      'shutdown',
      'leave',
    ]);
    expect(records.at(-1)).toMatchObject({ type: 'leave', peer: 1, reason: 'shutdown' });
    expect(records[5]).toMatchObject({
      type: 'notice',
      peer: 1,
      text: '#error bad-frame not a Fernet token: characters outside base64url',
    });
    a.destroy();
  });

  it('never replaces an existing file: it says so and exits 1', async () => {
    const temp = tempDir();
    cleanup = temp.cleanup;
    const path = join(temp.dir, 'kept.jsonl');
    writeFileSync(path, 'keep me\n');
    const { exit, stderr } = await runBin('hub', ['--port', '0', '--record', path]);
    expect(exit.code).toBe(1);
    expect(stderr).toContain(
      `fernet-chat-hub: recording file ${path} already exists; not replacing it (choose another name)\n`,
    );
    expect(readFileSync(path, 'utf8')).toBe('keep me\n');
  });
});
