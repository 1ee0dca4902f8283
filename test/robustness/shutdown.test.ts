import type { Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { START_TIMEOUT_MS, stopAll, startTestClient } from '../support/bins.ts';
import { startTestHub } from '../support/hub.ts';
import { refused } from '../support/portProbe.ts';
import { useTestKeyFile } from '../support/testKey.ts';
import { Receiver } from './support/receiver.ts';
import { shapedLine } from './support/shapedToken.ts';

const key = useTestKeyFile();
afterEach(stopAll);

async function welcomed(port: number): Promise<Receiver> {
  const peer = await Receiver.open(port);
  await peer.waitForNotice('#hello ');
  return peer;
}

/** Writes frames as fast as the socket takes them. */
async function sendAll(socket: Socket, sender: number, count: number, k: number): Promise<void> {
  for (let seq = 0; seq < count; seq++)
    if (!socket.write(shapedLine(sender, seq, k)))
      await new Promise((resolve) => socket.once('drain', resolve));
}

describe('graceful shutdown', () => {
  it('on SIGTERM stops accepting, says #bye shutdown to everyone after what was queued for them, and exits 0', async () => {
    // A big queue allowance, so that megabytes can wait in the hub for a reader that is not reading;
    // a grace period well past the reader's delay below, even on a machine that is slow today.
    const graceMs = 10_000;
    const hub = await startTestHub([
      ...['--flood-rate', '0', '--max-queue-bytes', String(32 * 1024 * 1024)],
      ...['--shutdown-grace-ms', String(graceMs)],
    ]);
    const alice = startTestClient(hub.port, key.path, 'alice');
    await alice.waitForLine('stderr', '* connected as #1', START_TIMEOUT_MS);
    const sender = await welcomed(hub.port);
    const reader = await welcomed(hub.port);
    reader.socket.pause();

    // 8 MB: more than the kernel buffers of a loopback connection hold, so part waits in the hub.
    const frames = 6_000;
    await sendAll(sender.socket, 1, frames, 60);
    // The hub answers in order: after the pong, every frame before it has been queued for the reader.
    sender.write('#ping\n');
    await sender.waitForNotice('#pong');
    const started = performance.now();
    hub.bin.kill('SIGTERM');
    await hub.bin.waitForLine('stderr', 'event=signal signal=SIGTERM');
    expect(await refused(hub.port)).toBe(true);
    await sender.waitForNotice('#bye shutdown');
    await alice.waitForLine('stderr', '* the hub is closing the connection: shutdown');

    // The reader takes its time (within the grace period), then gets every frame and the bye last.
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    reader.socket.resume();
    await reader.waitForCount(1, frames, 10_000);
    await reader.waitForNotice('#bye shutdown');
    expect(reader.problems).toEqual([]);
    expect(reader.notices.at(-1)).toBe('#bye shutdown');
    const exit = await hub.bin.waitForExit(graceMs + 1_000);
    const took = performance.now() - started;
    console.log(
      `shutdown: ${frames} queued frames flushed to a late reader, hub exited ${exit.code} after ${took | 0} ms`,
    );
    expect(exit.code).toBe(0);
    expect(took).toBeLessThan(graceMs + 1_000);
    expect(hub.bin.stderr).toMatch(/event=exit reason=shutdown/);
    expect(hub.bin.stderr).not.toMatch(/shutdown-timeout/);
  }, 30_000);

  it('exits 0 at the grace deadline when a client never takes its bye', async () => {
    const hub = await startTestHub(['--shutdown-grace-ms', '800']);
    const stuck = await welcomed(hub.port);
    stuck.socket.pause();
    const started = performance.now();
    hub.bin.kill('SIGTERM');
    const exit = await hub.bin.waitForExit(5_000);
    const took = performance.now() - started;
    expect(exit.code).toBe(0);
    expect(took).toBeGreaterThanOrEqual(700);
    expect(took).toBeLessThan(3_000);
    expect(hub.bin.stderr).toMatch(/event=shutdown-timeout remaining=1/);
  });

  it('exits at once on a second signal', async () => {
    const hub = await startTestHub(['--shutdown-grace-ms', '60000']);
    const stuck = await welcomed(hub.port);
    stuck.socket.pause();
    hub.bin.kill('SIGINT');
    await hub.bin.waitForLine('stderr', 'event=signal signal=SIGINT');
    const started = performance.now();
    hub.bin.kill('SIGTERM');
    const exit = await hub.bin.waitForExit(3_000);
    expect(performance.now() - started).toBeLessThan(1_500);
    expect(exit.code).toBe(130);
    expect(hub.bin.stderr).toMatch(/event=exit reason="second SIGTERM"/);
  });
});
