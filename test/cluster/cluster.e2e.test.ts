import { describe, expect, it } from 'vitest';
import { tokenDigest } from '../../src/protocol/frameDigest.ts';
import type { RawSocket } from '../support/rawSocket.ts';
import { tokenOf } from '../support/testKey.ts';
import { useClusterTests } from './support/clusterTests.ts';

// One room across hubs, over a real nats-server that this file starts (on a free port, with its
// own store) and real hub bins; raw sockets are the clients, so that every byte is seen.

const cluster = useClusterTests('the cluster tests');
const { clusteredHub } = cluster;
const join = cluster.join;

const dataLines = (socket: RawSocket) => socket.lines().filter((line) => !line.startsWith('#'));

describe.skipIf(cluster.skip)('one room across two hubs over NATS JetStream', () => {
  it('delivers each frame once to everyone else on both hubs, in one order, never back to its sender, with room-wide presence', async () => {
    const [a, b] = await Promise.all([clusteredHub('one'), clusteredHub('one')]);
    const alice = await join(a.port);
    const bob = await join(b.port);
    // The room's count: alice hears of bob, on the other hub, within a second. (Only then does
    // carol join: her hub counts bob from then on, and says 3 with her #joined. Joined at once,
    // she could come before the news of bob, and be announced with 2, as a busy machine showed.)
    await alice.socket.waitForLine(`#joined ${bob.id} `, 5_000);
    const carol = await join(a.port);
    // Peer ids are unique in the room: each hub numbers its own in its own range.
    expect(new Set([alice.id, bob.id, carol.id]).size).toBe(3);
    await alice.socket.waitForLine(`#joined ${carol.id} 3`, 5_000);
    // Every hub of the room gives the same epoch: it names the room's stream.
    expect(bob.hello[4]).toBe(alice.hello[4]);

    const tokens = Array.from({ length: 6 }, (_, i) => tokenOf(`line ${i}`));
    // Two senders on two hubs at once.
    await alice.socket.write(`${tokens[0]}\n${tokens[1]}\n`);
    await bob.socket.write(`${tokens[2]}\n`);
    await alice.socket.write(`${tokens[3]}\n`);
    await bob.socket.write(`${tokens[4]}\n${tokens[5]}\n`);
    const all = await carol.socket.waitForLines(6, (line) => !line.startsWith('#'), 5_000);
    await alice.socket.waitForLines(3, (line) => !line.startsWith('#'), 5_000);
    await bob.socket.waitForLines(3, (line) => !line.startsWith('#'), 5_000);
    expect(new Set(all)).toEqual(new Set(tokens));
    // One order for the whole room: everyone sees the others' frames in carol's order.
    expect(dataLines(alice.socket)).toEqual(all.filter((t) => [tokens[2], tokens[4], tokens[5]].includes(t)));
    expect(dataLines(bob.socket)).toEqual(all.filter((t) => [tokens[0], tokens[1], tokens[3]].includes(t)));
    // Each sender's own order is kept.
    expect(all.filter((t) => [tokens[0], tokens[1], tokens[3]].includes(t))).toEqual([
      tokens[0],
      tokens[1],
      tokens[3],
    ]);

    // A client that resumes on the other hub gets what came after the last frame it saw, complete.
    const dave = await join(b.port);
    await dave.socket.write(`#resume ${alice.hello[4]} ${tokenDigest(all[2]!)}\n`);
    await dave.socket.waitForLine(/^#history-end /);
    expect(dave.socket.lines().filter((line) => !line.startsWith('#'))).toEqual(all.slice(3));
    expect(dave.socket.lines()).toContain('#history-end 3 complete');

    // A leave on one hub is heard on the other, with the room's count.
    carol.socket.destroy();
    await bob.socket.waitForLine(`#left ${carol.id} 3 `, 5_000);
  }, 30_000);

  it('a hub that restarts fills its history from the stream: a resume across the restart is complete', async () => {
    const first = await clusteredHub('restarted');
    const ann = await join(first.port);
    const ben = await join(first.port);
    const tokens = Array.from({ length: 4 }, (_, i) => tokenOf(`before the restart ${i}`));
    await ann.socket.write(tokens.map((token) => `${token}\n`).join(''));
    await ben.socket.waitForLines(4, (line) => !line.startsWith('#'));
    first.bin.kill('SIGKILL');
    await first.bin.exited;

    const second = await clusteredHub('restarted');
    const back = await join(second.port);
    // The same epoch: it names the room's stream, not the hub's run.
    expect(back.hello[4]).toBe(ben.hello[4]);
    await back.socket.write(`#resume ${ben.hello[4]} ${tokenDigest(tokens[1]!)}\n`);
    await back.socket.waitForLine(/^#history-end /);
    expect(dataLines(back.socket)).toEqual(tokens.slice(2));
    expect(back.socket.lines()).toContain('#history-end 2 complete');
  }, 30_000);

  it('keeps two rooms on one NATS apart', async () => {
    const [one, two] = await Promise.all([clusteredHub('red'), clusteredHub('blue')]);
    const ann = await join(one.port);
    const ben = await join(one.port);
    const cid = await join(two.port);
    const dot = await join(two.port);
    const red = tokenOf('in red');
    const blue = tokenOf('in blue');
    await cid.socket.write(`${blue}\n`);
    await dot.socket.waitForLine(blue);
    await ann.socket.write(`${red}\n`);
    await ben.socket.waitForLine(red);
    // Each room's stream carries its own frames only; what came after `blue` shows it never crossed.
    expect(dataLines(ben.socket)).toEqual([red]);
    expect(dataLines(dot.socket)).toEqual([blue]);
    expect(dataLines(ann.socket)).toEqual([]);
    // Nor does presence cross: each room counts its own two.
    expect(ben.hello[3]).toBe('2');
    expect(dot.hello[3]).toBe('2');
  }, 30_000);
});
