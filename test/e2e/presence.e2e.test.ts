import { createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { CLIENT_DEFAULTS } from '../../src/config/clientConfig.ts';
import { type BinProcess, START_TIMEOUT_MS, stopAll, startTestClient } from '../support/bins.ts';
import { startTestHub } from '../support/hub.ts';
import { useTestKeyFile } from '../support/testKey.ts';

const key = useTestKeyFile();
const servers: Server[] = [];
afterEach(async () => {
  await stopAll();
  for (const server of servers.splice(0)) server.close();
});

/** A client started and connected (its `#hello` seen). */
async function connected(port: number, name: string, ...more: string[]): Promise<BinProcess> {
  const client = startTestClient(port, key.path, name, ...more);
  await client.waitForLine('stderr', '* connected as #', START_TIMEOUT_MS);
  return client;
}

/** A TCP server on 127.0.0.1 that is not a hub: `onConnection` does what it does. */
async function notAHub(onConnection: (socket: Socket) => void): Promise<number> {
  const server = createServer(onConnection);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as { port: number }).port;
}

describe('presence by name, over a real hub', () => {
  it('names a member whose client was killed (kill -9): the hub’s #left is linked to the name', async () => {
    const hub = await startTestHub();
    const alice = await connected(hub.port, 'alice');
    const bob = await connected(hub.port, 'bob');
    await alice.waitForLine('stdout', '* bob joined');
    bob.kill('SIGKILL');
    await alice.waitForLine('stdout', /^\* bob left without a goodbye \(connection (closed|reset)\)$/);
  });

  it('a newcomer learns who is here, /who lists them, and a second bob shows as bob (2)', async () => {
    const hub = await startTestHub();
    const alice = await connected(hub.port, 'alice');
    const bob = await connected(hub.port, 'bob');
    await alice.waitForLine('stdout', '* bob joined');
    const carol = await connected(hub.port, 'carol');
    await carol.waitForLine('stdout', '* alice is here');
    await carol.waitForLine('stdout', '* bob is here');
    carol.write('/who\n');
    await carol.waitForLine('stdout', /^\* 3 online: carol \(you\), (alice, bob|bob, alice)$/);

    const bob2 = await connected(hub.port, 'bob');
    await alice.waitForLine('stdout', '* bob (2) joined');
    bob2.write('it is the other me\n');
    await alice.waitForLine('stdout', 'bob (2): it is the other me');
    bob2.endInput();
    await alice.waitForLine('stdout', '* bob (2) left');
    // A clean leave is one line: the hub's #left that follows it is no news.
    await bob2.waitForExit();
    bob.write('still here\n');
    await alice.waitForLine('stdout', 'bob: still here');
    expect(alice.lines('stdout').filter((line) => line.startsWith('* bob (2) left'))).toEqual([
      '* bob (2) left',
    ]);
  });

  it('/me and /nick reach the others; an unknown command is refused and never sent', async () => {
    const hub = await startTestHub();
    const alice = await connected(hub.port, 'alice');
    const bob = await connected(hub.port, 'bob');
    await alice.waitForLine('stdout', '* bob joined');
    bob.write('/frob secret\n/me waves\n/nick robert\n//etc is a path\n');
    await bob.waitForLine('stderr', '! unknown command /frob, not sent');
    await alice.waitForLine('stdout', '* bob waves');
    await alice.waitForLine('stdout', '* bob is now robert');
    await alice.waitForLine('stdout', 'robert: /etc is a path');
    expect(alice.stdout).not.toContain('frob');
  });
});

describe('a port that is not a hub', () => {
  it('that answers with something else: says so at once and exits 1', async () => {
    const port = await notAHub((socket) => socket.end('HTTP/1.1 400 Bad Request\r\n\r\n'));
    const started = Date.now();
    const client = startTestClient(port, key.path, 'alice');
    expect((await client.waitForExit()).code).toBe(1);
    const said = client.lines('stderr').filter((line) => line.includes('is not a fernet-chat hub'));
    expect(said).toEqual([
      `fernet-chat-client: 127.0.0.1:${port} is not a fernet-chat hub (it said "HTTP/1.1 400 Bad Request" instead of #hello)`,
    ]);
    console.log(`not-a-hub (garbage) reported and exited after ${Date.now() - started} ms`);
  });

  it('that says nothing: says so within 5 s (not the 20 s pong timeout) and exits 1', async () => {
    const port = await notAHub(() => {});
    const client = startTestClient(port, key.path, 'alice');
    await client.waitForLine('stderr', '* key fingerprint', START_TIMEOUT_MS);
    const started = Date.now();
    await client.waitForLine('stderr', 'is it a fernet-chat hub?', 12_000);
    // The wait for #hello is 5 s, and a busy machine may add a few to what is seen here; the
    // pong timeout (20 s), which it is not, is further off still.
    expect(CLIENT_DEFAULTS.pongTimeoutSeconds).toBe(20);
    expect(Date.now() - started).toBeLessThan(12_000);
    expect((await client.waitForExit()).code).toBe(1);
  }, 30_000);
});

describe('leaving while offline', () => {
  it('with lines queued, says what it waits for instead of hanging silently', async () => {
    const hub = await startTestHub();
    const alice = await connected(hub.port, 'alice', '--pong-timeout-seconds', '1');
    hub.bin.kill('SIGKILL');
    await alice.waitForLine('stderr', '* lost the connection to the hub');
    alice.write('one\ntwo\n');
    await alice.waitForLine('stderr', '* 1 line queued, will be sent on reconnect');
    alice.endInput();
    await alice.waitForLine(
      'stderr',
      '* not connected: waiting up to 1 s for the hub to send 2 lines queued',
    );
    expect((await alice.waitForExit()).code).toBe(1);
    expect(alice.lines('stderr')).toContain('fernet-chat-client: 2 line(s) not sent: the hub is unreachable');
  });

  it('with nothing queued, leaves at once', async () => {
    const hub = await startTestHub();
    const alice = await connected(hub.port, 'alice');
    hub.bin.kill('SIGKILL');
    await alice.waitForLine('stderr', '* lost the connection to the hub');
    const started = Date.now();
    alice.endInput();
    // At once: not after the pong timeout (20 s) that lines left waiting would get. (How long
    // "at once" takes, a busy machine decides: a process exiting may take it a few seconds.)
    expect(CLIENT_DEFAULTS.pongTimeoutSeconds).toBe(20);
    expect((await alice.waitForExit(10_000)).code).toBe(0);
    expect(Date.now() - started).toBeLessThan(10_000);
  });
});
