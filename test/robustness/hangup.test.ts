import { readFileSync } from 'node:fs';
import { type AddressInfo, createServer } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseRecording } from '../../src/recording/parseRecording.ts';
import { START_TIMEOUT_MS, startBin, stopAll, startTestClient } from '../support/bins.ts';
import { eventually } from '../support/eventually.ts';
import { startTestHub } from '../support/hub.ts';
import { RawSocket } from '../support/rawSocket.ts';
import { tempDir, tokenOf, useTestKeyFile } from '../support/testKey.ts';

// A terminal that closes sends SIGHUP to what runs in it; by default that kills on the spot.
const key = useTestKeyFile();
let cleanup: (() => void) | undefined;
afterEach(async () => {
  await stopAll();
  cleanup?.();
  cleanup = undefined;
});

async function welcomed(port: number): Promise<RawSocket> {
  const peer = await RawSocket.open(port);
  await peer.waitForLine('#hello ');
  return peer;
}

describe('a signal as the hub starts', () => {
  it('stops it cleanly even when it comes the moment the listening line is out', async () => {
    // The listening line comes out while the hub still sets up; a supervisor may stop it on
    // seeing that line. The hub must have its handlers by then, not die of the default action.
    const hub = startBin('hub', ['--port', '0', '--no-web']);
    await hub.waitForLine('stderr', 'event=listening', START_TIMEOUT_MS);
    hub.kill('SIGTERM');
    const exit = await hub.waitForExit(START_TIMEOUT_MS);
    expect(exit, hub.describe()).toEqual({ code: 0, signal: null });
    expect(hub.stderr).toMatch(/event=signal signal=SIGTERM/);
  });

  it('ends a start that waits on NATS at once, saying so, rather than when the wait is over', async () => {
    // A "NATS server" that takes the connection and never says INFO: the start waits on it.
    let connected: () => void = () => {};
    const reached = new Promise<void>((resolve) => (connected = resolve));
    const silent = createServer(() => connected());
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      const port = (silent.address() as AddressInfo).port;
      const hub = startBin('hub', ['--port', '0', '--no-web', '--cluster', `nats://127.0.0.1:${port}`]);
      await reached;
      hub.kill('SIGINT');
      const exit = await hub.waitForExit(START_TIMEOUT_MS);
      expect(exit, hub.describe()).toEqual({ code: 130, signal: null });
      expect(hub.stderr).toMatch(/event=signal signal=SIGINT\n.*event=exit reason="stopped while starting"/);
    } finally {
      silent.close();
    }
  });
});

describe('SIGHUP', () => {
  it('stops the hub as SIGTERM does: #bye shutdown to everyone, the recording finished, exit 0', async () => {
    const temp = tempDir();
    cleanup = temp.cleanup;
    const path = join(temp.dir, 'hangup.jsonl');
    const hub = await startTestHub(['--record', path]);
    const alice = await welcomed(hub.port);
    const bob = await welcomed(hub.port);
    const token = tokenOf('the last words before the terminal closed');
    await bob.write(`${token}\n`);
    await alice.waitForLine(token);

    hub.bin.kill('SIGHUP');
    const exit = await hub.bin.waitForExit(START_TIMEOUT_MS);
    expect(exit, hub.bin.describe()).toEqual({ code: 0, signal: null });
    expect(hub.bin.stderr).toMatch(/event=signal signal=SIGHUP/);
    // The hub is gone, so what it sent is all there is once each socket has closed.
    await eventually(
      () => alice.closed && bob.closed,
      () => 'both connections to be closed by the hub',
    );
    expect(alice.lines().at(-1)).toBe('#bye shutdown');
    expect(bob.lines().at(-1)).toBe('#bye shutdown');

    const parsed = parseRecording(readFileSync(path, 'utf8'));
    if (!parsed.ok) throw new Error(parsed.error.message);
    expect(parsed.recording.warnings).toEqual([]);
    const records = parsed.recording.entries.map(({ record }) => record);
    expect(records.filter((record) => record.type !== 'tick').map((record) => record.type)).toEqual([
      'join',
      'join',
      'frame',
      'shutdown',
      'leave',
      'leave',
    ]);
    expect(records.find((record) => record.type === 'frame')).toMatchObject({ data: token });
    // The last record is the last connection leaving, written after the hub said #bye.
    expect(records.at(-1)).toMatchObject({ type: 'leave' });
  });

  it.each(['SIGHUP', 'SIGTERM'] as const)(
    '%s makes a client leave as Ctrl-D does: the others see it left, and it exits 0',
    async (signal) => {
      const hub = await startTestHub();
      const alice = startTestClient(hub.port, key.path, 'alice');
      const bob = startTestClient(hub.port, key.path, 'bob');
      await alice.waitForLine('stderr', '* connected as #', START_TIMEOUT_MS);
      await bob.waitForLine('stderr', '* connected as #', START_TIMEOUT_MS);

      alice.kill(signal);
      const exit = await alice.waitForExit(START_TIMEOUT_MS);
      expect(exit, alice.describe()).toEqual({ code: 0, signal: null });
      await bob.waitForLine('stdout', '* alice left');
    },
  );
});
