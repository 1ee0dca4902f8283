import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { HUB_DEFAULTS } from '../../src/config/hubConfig.ts';
import { runBin, stopAll } from '../support/bins.ts';
import { startTestHub } from '../support/hub.ts';
import { tempDir } from '../support/testKey.ts';
import { expectHealthyPair } from './support/healthy.ts';
import { Receiver } from './support/receiver.ts';
import { shapedLine } from './support/shapedToken.ts';

afterEach(stopAll);

let dir: string;
let cleanup: () => void;
beforeAll(() => {
  ({ dir, cleanup } = tempDir());
});
afterAll(() => cleanup());

async function welcomed(port: number, options: { localAddress?: string } = {}): Promise<Receiver> {
  const peer = await Receiver.open(port, options);
  await peer.waitForNotice('#hello ');
  return peer;
}

describe('the maximum frame', () => {
  it('answers a longer frame with #error frame-too-large, drops it and keeps the connection', async () => {
    const hub = await startTestHub(['--max-frame-bytes', '1024']);
    const sender = await welcomed(hub.port);
    const reader = await welcomed(hub.port);
    sender.write(`${'A'.repeat(1025)}\n`);
    await sender.waitForNotice('#error frame-too-large ');
    expect(sender.notices.find((n) => n.startsWith('#error'))).toBe(
      '#error frame-too-large frame of 1025+ bytes exceeds the limit of 1024',
    );
    // The same connection goes on: its next frames are relayed, and the long one never was.
    for (let seq = 0; seq < 3; seq++) sender.write(shapedLine(7, seq));
    await reader.waitForCount(7, 3);
    expect(reader.others).toEqual([]);
    expect(reader.problems).toEqual([]);
    expect(sender.closed).toBe(false);
    sender.destroy();
    reader.destroy();
    await expectHealthyPair(hub.port);
  });
});

describe('the connection limits', () => {
  it('says #bye hub-full to a connection over --max-connections, and admits again once one leaves', async () => {
    const hub = await startTestHub(['--max-connections', '3']);
    const first = await Promise.all([0, 1, 2].map(() => welcomed(hub.port)));
    const extra = await Receiver.open(hub.port);
    await extra.waitForNotice('#bye hub-full');
    await extra.waitForClose();
    expect(extra.notices).toEqual(['#bye hub-full']); // no #hello: it never joined
    await hub.bin.waitForLine('stderr', /event=refused reason=hub-full .*online=3/);
    first[0]!.destroy();
    first[1]!.destroy();
    await first[2]!.waitForNotice(/^#left \d+ 1 /);
    await expectHealthyPair(hub.port);
    first[2]!.destroy();
  });

  it('says #bye too-many-connections past --max-connections-per-address, and counts each address apart', async () => {
    const hub = await startTestHub(['--max-connections-per-address', '2']);
    const local = await Promise.all([0, 1].map(() => welcomed(hub.port)));
    const third = await Receiver.open(hub.port);
    await third.waitForNotice('#bye too-many-connections');
    await third.waitForClose();
    // 127.0.0.2 is another address (all of 127/8 is loopback on Linux): it has its own allowance.
    const other = await welcomed(hub.port, { localAddress: '127.0.0.2' });
    expect(other.notices[0]).toMatch(/^#hello fernet-chat\/1 \d+ 3 /); // then the epoch and last frame
    await hub.bin.waitForLine('stderr', /event=refused reason=too-many-connections remote=127\.0\.0\.1/);
    for (const peer of local) peer.destroy();
    other.destroy();
    await hub.bin.waitForLine('stderr', /event=leave .*online=0/);
    await expectHealthyPair(hub.port);
  });

  it('takes the limits from the environment and from a config file too', async () => {
    const hub = await startTestHub([], { env: { FERNET_CHAT_HUB_MAX_CONNECTIONS: '1' } });
    const only = await welcomed(hub.port);
    const refused = await Receiver.open(hub.port);
    await refused.waitForNotice('#bye hub-full');
    only.destroy();

    const config = join(dir, 'limits.json');
    writeFileSync(config, JSON.stringify({ maxConnectionsPerAddress: 1 }));
    const fromFile = await startTestHub(['--config', config]);
    const one = await welcomed(fromFile.port);
    const two = await Receiver.open(fromFile.port);
    await two.waitForNotice('#bye too-many-connections');
    one.destroy();
  });

  it('lists every limit in --help with its default', async () => {
    const { exit, stdout } = await runBin('hub', ['--help']);
    expect(exit.code).toBe(0);
    const limits: [string, number][] = [
      ['--max-frame-bytes', HUB_DEFAULTS.maxFrameBytes],
      ['--max-queue-bytes', HUB_DEFAULTS.maxQueueBytes],
      ['--max-connections', HUB_DEFAULTS.maxConnections],
      ['--max-connections-per-address', HUB_DEFAULTS.maxConnectionsPerAddress],
      ['--flood-rate', HUB_DEFAULTS.floodRate],
      ['--flood-burst', HUB_DEFAULTS.floodBurst],
      ['--idle-seconds', HUB_DEFAULTS.idleSeconds],
      ['--pong-timeout-seconds', HUB_DEFAULTS.pongTimeoutSeconds],
      ['--shutdown-grace-ms', HUB_DEFAULTS.shutdownGraceMs],
      ['--history-frames', HUB_DEFAULTS.historyFrames],
      ['--history-seconds', HUB_DEFAULTS.historySeconds],
      ['--history-bytes', HUB_DEFAULTS.historyBytes],
    ];
    for (const [flag, value] of limits)
      expect(stdout).toMatch(new RegExp(`${flag} NUMBER .*\\(default: ${value}\\)`));
    expect(HUB_DEFAULTS).toMatchObject({
      maxFrameBytes: 65_536,
      maxQueueBytes: 1_048_576,
      maxConnections: 10_000,
      idleSeconds: 120,
      pongTimeoutSeconds: 20,
      shutdownGraceMs: 5_000,
      historyFrames: 500,
      historySeconds: 3_600,
      historyBytes: 16 * 1024 * 1024,
    });
  });
});

describe('flood control', () => {
  it('pauses reading from a sender far over the rate: every frame arrives, in order, spread out', async () => {
    const rate = 200;
    const burst = 20;
    const hub = await startTestHub(['--flood-rate', String(rate), '--flood-burst', String(burst)]);
    const flooder = await welcomed(hub.port);
    const calm = await welcomed(hub.port);
    const reader = await Receiver.open(hub.port, { keepTimes: true });
    await reader.waitForNotice('#hello ');

    // 400 frames of ~1.4 KB at once: 20 times the burst, two seconds' worth at the allowed rate.
    const frames = 400;
    const started = performance.now();
    for (let seq = 0; seq < frames; seq++) flooder.write(shapedLine(1, seq, 60));
    // Meanwhile someone within the rate is not held up by the flooder's pause: once the flooder's
    // burst is through (its reading is paused), the calm sender's frames are relayed while the
    // flooder's are still held back. Told by the order the reader gets them in, not by a time,
    // which a busy machine could stretch in this process or the hub's.
    await reader.waitForCount(1, burst);
    const calmAt = performance.now();
    let flooderBeforeCalm: number | undefined;
    reader.socket.on('data', () => {
      if (flooderBeforeCalm === undefined && reader.countFrom(2) === 5)
        flooderBeforeCalm = reader.countFrom(1);
    });
    for (let seq = 0; seq < 5; seq++) calm.write(shapedLine(2, seq));
    await reader.waitForCount(2, 5);
    const calmLatency = performance.now() - calmAt;

    await reader.waitForCount(1, frames, 15_000);
    const spread = reader.arrivals.at(-1)! - started;
    const halfway = reader.arrivals.filter((t) => t - started < spread / 2).length;
    console.log(
      `flood: ${frames} frames at ${rate}/s (burst ${burst}) took ${spread | 0} ms; ` +
        `${halfway} arrived in the first half; a calm sender's 5 frames took ${calmLatency | 0} ms, ` +
        `by when ${flooderBeforeCalm} of the flooder's had arrived`,
    );
    expect(reader.problems).toEqual([]);
    expect(reader.countFrom(1)).toBe(frames);
    // Nothing dropped, nothing refused, no one disconnected: just later.
    expect(flooder.notices.filter((n) => !n.startsWith('#joined'))).toEqual([
      expect.stringMatching(/^#hello /),
    ]);
    expect(flooder.closed).toBe(false);
    // (frames - burst) / rate = 1.9 s at the allowed rate; a read of up to 64 KiB passes in one go.
    expect(spread).toBeGreaterThan(((frames - burst) / rate) * 1000 * 0.6);
    expect(halfway).toBeLessThan(frames * 0.8);
    expect(flooderBeforeCalm).toBeLessThan(frames - burst);
    for (const peer of [flooder, calm, reader]) peer.destroy();
    await expectHealthyPair(hub.port);
  });

  it('is off with --flood-rate 0: the same burst arrives at once', async () => {
    const hub = await startTestHub(['--flood-rate', '0']);
    const flooder = await welcomed(hub.port);
    const reader = await Receiver.open(hub.port, { keepTimes: true });
    await reader.waitForNotice('#hello ');
    const started = performance.now();
    for (let seq = 0; seq < 400; seq++) flooder.write(shapedLine(1, seq, 60));
    await reader.waitForCount(1, 400);
    // Paced at the default rate, the frames past the default burst would take 4 s; unpaced, they
    // take what relaying 560 KB takes, which a busy machine may stretch well past a moment.
    const pacedMs = ((400 - HUB_DEFAULTS.floodBurst) / HUB_DEFAULTS.floodRate) * 1000;
    expect(pacedMs).toBe(4_000);
    expect(reader.arrivals.at(-1)! - started).toBeLessThan(pacedMs / 2);
    flooder.destroy();
    reader.destroy();
  });
});
