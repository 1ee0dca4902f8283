import { describe, expect, it } from 'vitest';
import type { RawSocket } from '../support/rawSocket.ts';
import { tokenOf } from '../support/testKey.ts';
import { useClusterTests } from './support/clusterTests.ts';

// NATS itself goes away mid-chat and comes back (killed -9, started again on its port and file
// store). Its own server, since the test kills it.

const cluster = useClusterTests('the NATS restart tests');
const { clusteredHub } = cluster;
const join = (port: number) => cluster.connect(port);

const data = (socket: RawSocket) => socket.lines().filter((line) => !line.startsWith('#'));

describe.skipIf(cluster.skip)('NATS restarted mid-chat', () => {
  it('loses no frame a hub accepted: what was sent while NATS was away arrives, once, after it is back', async () => {
    const [a, b] = await Promise.all([clusteredHub('restart'), clusteredHub('restart')]);
    const ann = await join(a.port);
    const bea = await join(b.port);
    const before = tokenOf('before');
    await ann.write(`${before}\n`);
    await bea.waitForLine(before);

    await cluster.nats().kill();
    await a.bin.waitForLine('stderr', 'event=cluster-down');
    const away = Array.from({ length: 4 }, (_, i) => tokenOf(`while NATS was away ${i}`));
    await ann.write(`${away[0]}\n${away[1]}\n`);
    await bea.write(`${away[2]}\n`);
    await ann.write(`${away[3]}\n`);
    await cluster.nats().restart();

    // Clients only see a delay.
    await bea.waitForLine(away[3]!, 15_000);
    await ann.waitForLine(away[2]!, 15_000);
    const after = tokenOf('after');
    await bea.write(`${after}\n`);
    await ann.waitForLine(after);
    expect(data(bea)).toEqual([before, away[0], away[1], away[3]]);
    expect(data(ann)).toEqual([away[2], after]);
    // No error went to the senders: nothing was refused.
    expect(ann.lines().filter((line) => line.startsWith('#error'))).toEqual([]);
  }, 40_000);

  it('holds at most --cluster-max-unacked-bytes while NATS is away; past it, refuses frames with #error cluster-unavailable and a log line', async () => {
    const [a, b] = await Promise.all([
      clusteredHub('bounded', '--cluster-max-unacked-bytes', '4096'),
      clusteredHub('bounded'),
    ]);
    const ann = await join(a.port);
    const bea = await join(b.port);
    await cluster.nats().kill();
    await a.bin.waitForLine('stderr', 'event=cluster-down');
    // About 17 KiB, far past the bound (however TCP groups the writes: frames are refused one by one).
    const sent = Array.from({ length: 40 }, (_, i) => tokenOf(`${i} `.padEnd(300, '.')));
    for (const token of sent) await ann.write(`${token}\n`);
    await ann.waitForLine('#error cluster-unavailable');
    await a.bin.waitForLine('stderr', /event=cluster-full .*limit=4096/);
    await cluster.nats().restart();

    // What the hub accepted arrives, in order; the rest was refused, and the sender told how much.
    const refused = (): number =>
      ann
        .lines()
        .filter((line) => line.startsWith('#error cluster-unavailable'))
        .reduce((sum, line) => sum + Number(/ (\d+) line\(s\) refused/.exec(line)![1]), 0);
    const check = tokenOf('check');
    await ann.write(`${check}\n`);
    await bea.waitForLine(check, 15_000);
    const got = data(bea).slice(0, -1);
    expect(got.length + refused()).toBe(sent.length);
    expect(got.length).toBeGreaterThan(0);
    expect(got.length * 400).toBeLessThanOrEqual(4096 + 400);
    expect(got).toEqual(sent.slice(0, got.length));
  }, 40_000);
});
