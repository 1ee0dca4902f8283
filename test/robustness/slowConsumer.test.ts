import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it, onTestFinished } from 'vitest';
import { stopAll } from '../support/bins.ts';
import { eventually } from '../support/eventually.ts';
import { startTestHub } from '../support/hub.ts';
import { expectHealthyPair, rssKiB } from './support/healthy.ts';
import { FrameTally, Receiver } from './support/receiver.ts';
import { shapedLine } from './support/shapedToken.ts';

afterEach(stopAll);

/**
 * Writes `count` frames as fast as the socket takes them (waiting on drain, never buffering more),
 * and, when `ahead` is given, no further ahead of the readers than it allows (see WINDOW).
 * If the hub closes the sender, the error quotes what the hub logged last, to say why.
 */
async function sendAll(
  socket: Socket,
  sender: number,
  count: number,
  k: number,
  hubLog: () => string[] = () => [],
  ahead?: { readers: Receiver[]; window: number },
): Promise<void> {
  const why = (seq: number, what: string) =>
    `sender ${sender} ${what} at ${seq}; the hub's last lines:\n${hubLog().join('\n')}`;
  for (let seq = 0; seq < count; seq++) {
    while (
      ahead !== undefined &&
      seq - Math.min(...ahead.readers.map((r) => r.countFrom(sender))) >= ahead.window
    ) {
      if (ahead.readers.some((reader) => reader.closed)) throw new Error(why(seq, 'lost a reader'));
      await nextData(ahead.readers);
    }
    if (!socket.write(shapedLine(sender, seq, k))) {
      await new Promise<void>((resolve, reject) => {
        socket.once('drain', resolve);
        socket.once('close', () => {
          // The hub logs the leave once its side has closed too: give it a moment.
          setTimeout(() => reject(new Error(why(seq, 'closed'))), 500);
        });
      });
    }
  }
}

/** Resolves once any of `readers` has read more, or has closed. */
function nextData(readers: Receiver[]): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      for (const reader of readers) {
        reader.socket.off('data', done);
        reader.socket.off('close', done);
      }
      resolve();
    };
    for (const reader of readers) {
      reader.socket.on('data', done);
      reader.socket.on('close', done);
    }
  });
}

/** The hub's last log lines other than joins. */
const lastHubLines = (hub: { bin: { lines(stream: 'stderr'): string[] } }) => () =>
  hub.bin
    .lines('stderr')
    .filter((line) => !line.includes('event=join'))
    .slice(-8);

describe('a slow consumer', () => {
  it('is dropped as slow-consumer while the others get everything, in order, and the hub stays small', async () => {
    // Flood control off: the others chat at full speed.
    const hub = await startTestHub(['--flood-rate', '0']);
    const pid = hub.bin.pid!;

    const chatters = await Promise.all([0, 1, 2].map(() => Receiver.open(hub.port)));
    for (const chatter of chatters) await chatter.waitForNotice('#hello ');
    // The slow one takes its hello and then never reads again.
    const slow = connect({ host: '127.0.0.1', port: hub.port });
    slow.on('error', () => {});
    let slowText = '';
    const onSlowData = (chunk: Buffer) => {
      slowText += chunk.toString('latin1');
      if (slowText.includes('\n')) slow.pause();
    };
    slow.on('data', onSlowData);
    await eventually(
      () => slowText.startsWith('#hello '),
      () => 'the slow consumer to be welcomed',
    );
    slow.pause();
    const slowId = Number(slowText.split(' ')[2]);
    for (const chatter of chatters) await chatter.waitForNotice(`#joined ${slowId} `);

    const baseline = rssKiB(pid);
    let peak = baseline;
    const sampler = setInterval(() => {
      peak = Math.max(peak, rssKiB(pid));
    }, 20);
    onTestFinished(() => clearInterval(sampler)); // also when the test fails: the hub may be gone

    // Each chatter sends 20,000 frames of ~1.4 KB (27 MB); the slow one would be owed 81 MB. The
    // chatters keep up with the room, as healthy readers do: each sends at most WINDOW frames
    // (0.7 MB) ahead of what the others have read. Without that bound, a moment in which a busy
    // machine holds this process up (reading for all three) left megabytes in the kernel's
    // buffers, which the hub, done waiting for a reader that late, queued for it up to its hard
    // limit: the chatter was dropped as a slow consumer too, as the policy says it must be.
    const frames = 20_000;
    const k = 60;
    const WINDOW = 500;
    const started = performance.now();
    await Promise.all(
      chatters.map((chatter, i) =>
        sendAll(chatter.socket, i, frames, k, lastHubLines(hub), {
          readers: chatters.filter((other) => other !== chatter),
          window: WINDOW,
        }),
      ),
    );
    for (const [i, chatter] of chatters.entries())
      for (let other = 0; other < chatters.length; other++)
        if (other !== i) await chatter.waitForCount(other, frames, 30_000);
    const elapsed = performance.now() - started;
    clearInterval(sampler);

    for (const [i, chatter] of chatters.entries()) {
      expect(chatter.problems, `chatter ${i}`).toEqual([]);
      expect(chatter.countFrom(i), 'nothing comes back to its sender').toBe(0);
      for (let other = 0; other < chatters.length; other++)
        if (other !== i) expect(chatter.countFrom(other)).toBe(frames);
    }
    await hub.bin.waitForLine('stderr', new RegExp(`event=leave peer=${slowId} reason=slow-consumer`));
    // Everyone else is told why the slow one left.
    for (const chatter of chatters)
      await chatter.waitForNotice(new RegExp(`^#left ${slowId} \\d+ slow-consumer$`));

    // What the slow one got before it was dropped is in order; the bye is best effort.
    const slowReader = new FrameTally();
    slow.off('data', onSlowData);
    slowReader.take(slowText);
    slow.on('data', (chunk: Buffer) => slowReader.take(chunk.toString('latin1')));
    slow.resume();
    await eventually(
      () => slow.destroyed || slow.closed,
      () => 'the slow consumer to be closed',
    );
    expect(slowReader.problems).toEqual([]);
    const sentToSlow = frames * chatters.length;
    console.log(
      `slow consumer: got ${slowReader.total} of ${sentToSlow} frames before the drop, ` +
        `bye ${slowReader.notices.includes('#bye slow-consumer') ? 'received' : 'lost'}; ` +
        `hub RSS ${baseline} KiB → peak ${peak} KiB (+${peak - baseline}) while relaying ` +
        `${((frames * chatters.length * 2 * (57 + 16 * k) * 4) / 3 / 1e6) | 0} MB in ${elapsed | 0} ms`,
    );
    expect(slowReader.total).toBeLessThan(sentToSlow);
    // Bounded: the growth is the garbage of relaying (the same for 50 MB or 160 MB relayed), far
    // below the 80 MB that keeping the slow one's backlog would cost.
    expect(peak - baseline).toBeLessThan(64 * 1024);

    for (const chatter of chatters) chatter.destroy();
    await expectHealthyPair(hub.port);
  }, 60_000);

  it('does not stall a lone sender: with only the two of them, the reader is dropped and sending goes on', async () => {
    const hub = await startTestHub(['--flood-rate', '0']);
    const sender = await Receiver.open(hub.port);
    await sender.waitForNotice('#hello ');
    const slow = await Receiver.open(hub.port);
    await slow.waitForNotice('#hello ');
    slow.socket.pause();
    const slowId = Number(slow.notices[0]!.split(' ')[2]);
    // 40 MB for a reader that takes nothing: the sender must be able to write it all.
    await sendAll(sender.socket, 1, 30_000, 60);
    await hub.bin.waitForLine(
      'stderr',
      new RegExp(`event=leave peer=${slowId} reason=slow-consumer`),
      10_000,
    );
    await sender.waitForNotice(new RegExp(`^#left ${slowId} \\d+ slow-consumer$`));
    sender.destroy();
    slow.destroy();
    await expectHealthyPair(hub.port);
  }, 30_000);
});
