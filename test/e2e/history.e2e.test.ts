import { afterEach, describe, expect, it, onTestFinished } from 'vitest';
import { type BinProcess, START_TIMEOUT_MS, stopAll, startTestClient } from '../support/bins.ts';
import { startTestHub } from '../support/hub.ts';
import { TcpProxy } from '../support/tcpProxy.ts';
import { RawSocket } from '../support/rawSocket.ts';
import { testRing, useTestKeyFile } from '../support/testKey.ts';

// Remember and resume over real sockets: the real hub bin, real clients with piped stdin (chat
// lines on stdout, where earlier lines start with their time in brackets; news on stderr), and
// a proxy whose connections a test cuts to take one client away while the others stay.

const key = useTestKeyFile();
const proxies: TcpProxy[] = [];
afterEach(async () => {
  await Promise.all(proxies.splice(0).map((proxy) => proxy.close()));
  await stopAll();
});

async function proxyTo(port: number): Promise<TcpProxy> {
  const proxy = await TcpProxy.open(port);
  proxies.push(proxy);
  return proxy;
}

/**
 * Starts a client. Clients are started together, since starting node takes a while; one that
 * must come later connects through a cut proxy, restored when its turn comes.
 */
function start(port: number, name: string, ...more: string[]): BinProcess {
  return startTestClient(port, key.path, name, ...more);
}

/** Waits until each has its `#hello`. */
async function connected(...clients: BinProcess[]): Promise<void> {
  await Promise.all(
    clients.map((client) => client.waitForLine('stderr', '* connected as #', START_TIMEOUT_MS)),
  );
}

/** The lines of `client`'s stdout that show `text` said by `from`, earlier or live. */
function linesOf(client: BinProcess, from: string, text: string): string[] {
  const said = `${from}: ${text}`;
  return client.lines('stdout').filter((line) => line.replace(EARLIER, '') === said);
}

const EARLIER = /^\[\d\d:\d\d\] /;

describe('history and resume, over a real hub', () => {
  it('a line sent while bob is offline reaches bob after he reconnects, exactly once', async () => {
    const hub = await startTestHub();
    const proxy = await proxyTo(hub.port);
    proxy.cut();
    const [alice, carol, bob] = [
      start(hub.port, 'alice'),
      start(hub.port, 'carol'),
      start(proxy.port, 'bob'),
    ];
    await connected(alice, carol);
    await alice.waitForLine('stdout', '* carol joined');
    proxy.restore();
    await connected(bob);
    await bob.waitForLine('stdout', '* alice is here');
    await bob.waitForLine('stdout', '* carol is here');
    alice.write('before the loss\n');
    await bob.waitForLine('stdout', 'alice: before the loss');

    proxy.cut();
    await alice.waitForLine('stdout', '* bob left without a goodbye');
    alice.write('said while bob was away\n');
    // carol has it: the hub has relayed it, and so keeps it.
    await carol.waitForLine('stdout', 'alice: said while bob was away');
    proxy.restore();

    await bob.waitForLine('stderr', '* reconnected', 10_000);
    await bob.waitForLine('stdout', '* 1 message while you were away');
    expect(linesOf(bob, 'alice', 'said while bob was away'), bob.describe()).toEqual([
      expect.stringMatching(EARLIER),
    ]);
    expect(linesOf(bob, 'alice', 'before the loss')).toEqual(['alice: before the loss']);
    // And the chat goes on, both ways.
    bob.write('back\n');
    await alice.waitForLine('stdout', 'bob: back');
  });

  it('a late joiner sees the last N frames (--history N) as earlier lines, then a separator, then live ones', async () => {
    const hub = await startTestHub();
    // A raw connection gets every frame in the hub's order, and the #joined of each newcomer at
    // its place in that order: what came before dave's #joined is what the hub kept for him.
    const tap = await RawSocket.open(hub.port);
    onTestFinished(() => tap.destroy());
    await tap.waitForLine(/^#hello /);
    const late = await proxyTo(hub.port);
    late.cut();
    const [alice, bob, dave] = [
      start(hub.port, 'alice'),
      start(hub.port, 'bob'),
      start(late.port, 'dave', '--history', '3'),
    ];
    await connected(alice, bob);
    await bob.waitForLine('stdout', 'alice'); // joined, or is here
    for (let i = 1; i <= 5; i++) alice.write(`line ${i}\n`);
    await bob.waitForLine('stdout', 'alice: line 5');

    late.restore();
    await connected(dave);
    await dave.waitForLine('stdout', '* alice is here');
    const daveId = /#(\d+)/.exec(
      dave.lines('stderr').find((line) => line.startsWith('* connected as #'))!,
    )![1];
    await tap.waitForLine(new RegExp(`^#joined ${daveId} `));
    const relayed = tap.lines();
    const beforeDave = relayed.slice(
      0,
      relayed.findIndex((line) => line.startsWith(`#joined ${daveId} `)),
    );
    // The last three frames: alice's last lines, unless the answers to alice's and bob's joins
    // (presence, shown as no line) came in among them, as on a busy machine they may.
    const kept = beforeDave.filter((line) => !line.startsWith('#')).slice(-3);
    expect(kept).toHaveLength(3);
    const earlier = kept
      .map((token) => JSON.parse(testRing.decrypt(token).toString('utf8')) as { kind: string; text?: string })
      .filter((envelope) => envelope.kind === 'message')
      .map((envelope) => `alice: ${envelope.text}`);
    expect(earlier.at(-1)).toBe('alice: line 5');
    const shown = dave.lines('stdout');
    expect(shown.indexOf('* ---- earlier messages above ----'), dave.describe()).toBe(earlier.length);
    expect(shown.slice(0, earlier.length).map((line) => line.replace(EARLIER, ''))).toEqual(earlier);
    for (const line of shown.slice(0, earlier.length)) expect(line).toMatch(EARLIER);
    for (const line of shown.slice(earlier.length + 1)) expect(line).not.toMatch(EARLIER);
  });

  it('a hub restart: the clients say some messages may have been missed, and lines typed while it was down reach bob, who comes back after them', async () => {
    // The hub that comes back is started beforehand, behind both clients' proxies: their first
    // try after the restart reaches it, however long a loaded machine takes to start a hub.
    const [first, second] = await Promise.all([startTestHub(), startTestHub()]);
    const [toAlice, toBob] = [await proxyTo(first.port), await proxyTo(first.port)];
    const [alice, bob] = [start(toAlice.port, 'alice'), start(toBob.port, 'bob')];
    // carol, on the hub that comes back, sees alice's lines arrive there: only then is bob let
    // back (alice having written them says nothing of when the hub has them).
    const carol = start(second.port, 'carol');
    await connected(alice, bob, carol);
    alice.write('hello bob\n');
    await bob.waitForLine('stdout', 'alice: hello bob');

    // bob's network goes; then the hub. alice types while it is down.
    toBob.cut();
    toAlice.cut();
    first.bin.kill('SIGKILL');
    await alice.waitForLine('stderr', '* lost the connection to the hub');
    alice.write('typed while the hub was down\nand a second line\n');
    await alice.waitForLine('stderr', '* 1 line queued');

    // The hub is back: a new process, so a new epoch.
    for (const proxy of [toAlice, toBob]) proxy.retarget(second.port);
    toAlice.restore();
    await alice.waitForLine('stderr', '* sent 2 lines queued while offline', 15_000);
    await alice.waitForLine('stdout', '* some messages may have been missed (the hub has restarted)');

    // alice's lines went into the new hub's room; bob comes back after them.
    await carol.waitForLine('stdout', 'alice: and a second line', 10_000);
    toBob.restore();
    await bob.waitForLine(
      'stdout',
      /^\* some messages may have been missed \(the hub has restarted\)/,
      10_000,
    );
    for (const text of ['typed while the hub was down', 'and a second line'])
      expect(linesOf(bob, 'alice', text), bob.describe()).toEqual([expect.stringMatching(EARLIER)]);
    expect(linesOf(bob, 'alice', 'hello bob')).toEqual(['alice: hello bob']);
  }, 30_000);
});
