import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { type BinProcess, START_TIMEOUT_MS, startBin, startTestClient } from '../support/bins.ts';
import { TestNatsServer } from '../support/natsServer.ts';
import { eventually } from '../support/eventually.ts';
import { tokenOf, useTestKeyFile } from '../support/testKey.ts';
import { useClusterTests } from './support/clusterTests.ts';

// Faults of a cluster, against a real nats-server this file starts (free port, own store):
// a hub killed mid-chat (its clients move to the other and resume), a hub frozen, NATS away
// when a hub starts.

const cluster = useClusterTests('the cluster fault tests');
const key = useTestKeyFile();
const { clusteredHub } = cluster;
const join = (port: number) => cluster.connect(port);

const EARLIER = /^\[\d\d:\d\d\] /;
/**
 * What `client` showed of `from`, live or earlier, without the time of earlier lines. A client
 * that moved may be `alice (2)` for a while: its new connection joined before the room heard
 * that its hub was gone (docs/protocol.md).
 */
function saidBy(client: BinProcess, from: string): string[] {
  const said = new RegExp(`^${from}(?: \\(\\d+\\))?: (.*)$`);
  return client
    .lines('stdout')
    .map((line) => said.exec(line.replace(EARLIER, ''))?.[1])
    .filter((text) => text !== undefined);
}

describe.skipIf(cluster.skip)('cluster faults', () => {
  it('kill -9 one of two hubs mid-chat: its clients move to the other and resume; nothing lost or doubled', async () => {
    const [a, b] = await Promise.all([clusteredHub('failover'), clusteredHub('failover')]);
    const both = (first: number, second: number) => ['--hub', `127.0.0.1:${first},127.0.0.1:${second}`];
    const alice = startTestClient(a.port, key.path, 'alice', ...both(a.port, b.port));
    const carol = startTestClient(a.port, key.path, 'carol', ...both(a.port, b.port));
    const bob = startTestClient(b.port, key.path, 'bob', ...both(b.port, a.port));
    await Promise.all(
      [alice, bob, carol].map((client) => client.waitForLine('stderr', '* connected as #', START_TIMEOUT_MS)),
    );
    await bob.waitForLine('stdout', 'carol', START_TIMEOUT_MS); // joined, or is here
    await alice.waitForLine('stdout', 'bob', START_TIMEOUT_MS);
    alice.write('a1\na2\n');
    bob.write('b1\n');
    await carol.waitForLine('stdout', 'alice: a2');
    await carol.waitForLine('stdout', 'bob: b1');

    // Mid-chat: bob keeps talking while alice's and carol's hub dies under them.
    bob.write('b2\n');
    a.bin.kill('SIGKILL');
    bob.write('b3\n');
    await alice.waitForLine('stderr', '* lost the connection');
    alice.write('a3\n'); // kept, and sent once she is on the other hub
    bob.write('b4\n');
    for (const client of [alice, carol])
      await client.waitForLine('stderr', `* reconnected, to 127.0.0.1:${b.port}`, 10_000);
    await carol.waitForLine('stdout', /alice(?: \(\d+\))?: a3$/, 10_000);
    await bob.waitForLine('stdout', /alice(?: \(\d+\))?: a3$/, 10_000);
    for (const client of [alice, carol]) await client.waitForLine('stdout', /bob: b4$/, 10_000);
    bob.write('b5\n');
    carol.write('c1\n');
    await alice.waitForLine('stdout', 'bob: b5');
    await alice.waitForLine('stdout', /carol(?: \(\d+\))?: c1$/);
    await bob.waitForLine('stdout', /carol(?: \(\d+\))?: c1$/);

    // Each line exactly once, in each sender's order, on both sides of the failover.
    expect(saidBy(alice, 'bob'), alice.describe()).toEqual(['b1', 'b2', 'b3', 'b4', 'b5']);
    expect(saidBy(carol, 'bob'), carol.describe()).toEqual(['b1', 'b2', 'b3', 'b4', 'b5']);
    expect(saidBy(carol, 'alice')).toEqual(['a1', 'a2', 'a3']);
    expect(saidBy(bob, 'alice'), bob.describe()).toEqual(['a1', 'a2', 'a3']);
    expect(saidBy(bob, 'carol')).toEqual(['c1']);
    // bob's hub counted the dead hub's peers out.
    await bob.waitForLine('stdout', /left without a goodbye \(their hub went away/);
    // The room's epoch names its stream: the resume on the other hub was complete, not a gap.
    for (const client of [alice, carol]) expect(client.stdout).not.toContain('may have been missed');
  }, 60_000);

  it('a hub frozen for 5 s (SIGSTOP, then SIGCONT) catches up without loss once it runs again', async () => {
    const [a, b] = await Promise.all([clusteredHub('frozen'), clusteredHub('frozen')]);
    const x = await join(a.port);
    const y = await join(b.port);
    const z = await join(b.port);
    const yId = /^#hello \S+ (\d+)/.exec(y.lines()[0]!)![1]!;
    const tokens = Array.from({ length: 5 }, (_, i) => tokenOf(`while frozen ${i}`));
    process.kill(a.bin.pid!, 'SIGSTOP');
    try {
      for (const token of tokens) await y.write(`${token}\n`);
      // In the room's stream: z, on the running hub, has them from it.
      await z.waitForLines(5, (line) => !line.startsWith('#'));
      // The freeze itself (not a wait for an outcome): 5 s, past the room's presence timeout.
      await new Promise((resolve) => setTimeout(resolve, 5_000));
    } finally {
      process.kill(a.bin.pid!, 'SIGCONT');
    }
    const got = await x.waitForLines(5, (line) => !line.startsWith('#'), 10_000);
    expect(got).toEqual(tokens);
    const back = tokenOf('after the thaw');
    await x.write(`${back}\n`);
    await y.waitForLine(back);
    expect(x.lines().filter((line) => !line.startsWith('#'))).toEqual(tokens);
    // If the thawed hub counted the running one out before hearing from it again, the running
    // one's full list of peers (once a second) brings y back for x.
    const lastAboutY = () =>
      x
        .lines()
        .filter((line) => line.startsWith(`#joined ${yId} `) || line.startsWith(`#left ${yId} `))
        .at(-1);
    await eventually(
      () => lastAboutY() === undefined || lastAboutY()!.startsWith('#joined'),
      () => `x to know y is there: ${JSON.stringify(x.lines())}`,
      5_000,
    );
  }, 30_000);

  it('NATS away (or without JetStream) when a hub starts: the hub refuses to start, with one line that says why', async () => {
    // A port where nothing listens: taken from the OS, then let go.
    const port = await new Promise<number>((resolve) => {
      const probe = createServer().listen(0, '127.0.0.1', () => {
        const { port } = probe.address() as { port: number };
        probe.close(() => resolve(port));
      });
    });
    const hub = startBin('hub', ['--port', '0', '--no-web', '--cluster', `nats://127.0.0.1:${port}`]);
    const exit = await hub.waitForExit(15_000);
    expect(exit.code).toBe(1);
    expect(hub.lines('stderr')).toEqual([
      `fernet-chat-hub: --cluster nats://127.0.0.1:${port}: cannot reach NATS (the connection was refused); a clustered hub does not start without it: start NATS first, or run without --cluster`,
    ]);

    // NATS without JetStream is said as plainly.
    const plain = await TestNatsServer.start({ jetstream: false });
    try {
      const second = startBin('hub', ['--port', '0', '--no-web', '--cluster', plain.url]);
      expect((await second.waitForExit(15_000)).code).toBe(1);
      expect(second.lines('stderr')).toEqual([
        `fernet-chat-hub: --cluster ${plain.url}: NATS answered but has no JetStream: start nats-server with -js (and -sd DIR to keep rooms on disk)`,
      ]);
    } finally {
      await plain.stop();
    }
  }, 30_000);
});
