import { createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { CLIENT_DEFAULTS } from '../../src/config/clientConfig.ts';
import { HUB_DEFAULTS } from '../../src/config/hubConfig.ts';
import { START_TIMEOUT_MS, stopAll, startTestClient } from '../support/bins.ts';
import { eventually } from '../support/eventually.ts';
import { startTestHub } from '../support/hub.ts';
import { useTestKeyFile } from '../support/testKey.ts';
import { expectHealthyPair } from './support/healthy.ts';
import { tcpSocket, tcpSockets } from './support/procNet.ts';
import { Receiver } from './support/receiver.ts';
import { shapedLine } from './support/shapedToken.ts';

/** Keepalive in tenths of a second instead of minutes: the same rules, quick to watch. */
const QUICK = ['--idle-seconds', '0.3', '--pong-timeout-seconds', '0.3'];
/**
 * Where something must answer a #ping in time (this test process, a client, a fake hub saying
 * #hello): the same quick idle, but a second to answer, so that a busy machine holding that
 * process up for a moment does not make it look dead.
 */
const QUICK_IDLE_SLOW_PONG = ['--idle-seconds', '0.3', '--pong-timeout-seconds', '1'];
/** Where something must keep talking to stay unpinged: a second of idle, against 100 ms of chatter. */
const ROOMY = ['--idle-seconds', '1', '--pong-timeout-seconds', '1'];

const key = useTestKeyFile();

const servers: Server[] = [];
afterEach(async () => {
  await stopAll();
  for (const server of servers.splice(0)) server.close();
});

describe('the hub keepalive', () => {
  it('has the defaults of ngIRCd: #ping after 120 s of silence, #bye idle 20 s later', () => {
    expect(HUB_DEFAULTS.idleSeconds).toBe(120);
    expect(HUB_DEFAULTS.pongTimeoutSeconds).toBe(20);
    expect(CLIENT_DEFAULTS.idleSeconds).toBe(120);
    expect(CLIENT_DEFAULTS.pongTimeoutSeconds).toBe(20);
  });

  it('pings a silent connection, then says #bye idle and closes it; the others hear why', async () => {
    const hub = await startTestHub(QUICK_IDLE_SLOW_PONG);
    // Taken before connecting, so that it is before the hub's join however late #hello arrives.
    const joinedAt = performance.now();
    const silent = await Receiver.open(hub.port);
    await silent.waitForNotice('#hello ');
    const watcher = await Receiver.open(hub.port);
    watcher.socket.on('data', () => {
      if (watcher.notices.at(-1) === '#ping') {
        watcher.notices.pop();
        watcher.write('#pong\n');
      }
    });
    await watcher.waitForNotice('#hello ');

    await silent.waitForNotice('#ping');
    const pingedAt = performance.now();
    await silent.waitForNotice('#bye idle');
    await silent.waitForClose();
    const closedAt = performance.now();
    expect(silent.notices.filter((n) => !n.startsWith('#joined'))).toEqual([
      expect.stringMatching(/^#hello fernet-chat\/1 1 1 /),
      '#ping',
      '#bye idle',
    ]);
    // Lower bounds only: this process may see the #ping late (a busy machine holds it up), never
    // early, so the time between the #ping and the close as seen here says nothing. What the hub
    // measured says how long it waited: an idle period, then the pong timeout after its #ping.
    expect(pingedAt - joinedAt).toBeGreaterThanOrEqual(200);
    expect(closedAt - joinedAt).toBeGreaterThanOrEqual(200 + 1_000);
    const idle = await hub.bin.waitForLine('stderr', /event=idle peer=1 silentMs=\d+/);
    expect(Number(/silentMs=(\d+)/.exec(idle)![1])).toBeGreaterThanOrEqual(300 + 1_000);
    await watcher.waitForNotice(/^#left 1 1 idle$/);
    watcher.destroy();
    await expectHealthyPair(hub.port);
  });

  it('keeps a connection that answers #ping with #pong, and never pings one that keeps talking', async () => {
    const hub = await startTestHub(ROOMY);
    const answering = await Receiver.open(hub.port);
    let pings = 0;
    answering.socket.on('data', () => {
      while (answering.notices.includes('#ping')) {
        answering.notices.splice(answering.notices.indexOf('#ping'), 1);
        pings++;
        answering.write('#pong\n');
      }
    });
    const talking = await Receiver.open(hub.port);
    await answering.waitForNotice('#hello ');
    await talking.waitForNotice('#hello ');
    let seq = 0;
    const chatter = setInterval(() => talking.write(shapedLine(5, seq++)), 100);
    try {
      // Four idle periods and more: long enough for a silent one to be pinged and closed twice over.
      await eventually(
        () => pings >= 3,
        () => `three pings to be answered (got ${pings})`,
        15_000,
      );
      await new Promise((resolve) => setTimeout(resolve, 1_000));
    } finally {
      clearInterval(chatter);
    }
    // The last frames written may still be on their way through the hub.
    await answering.waitForCount(5, seq);
    expect(answering.closed).toBe(false);
    expect(talking.closed).toBe(false);
    expect(talking.notices).not.toContain('#ping');
    expect(answering.notices).not.toContain('#bye idle');
    expect(hub.bin.stderr).not.toMatch(/event=idle/);
    expect(answering.countFrom(5)).toBe(seq);
    answering.destroy();
    talking.destroy();
  });

  it('is off in chunk framing (the seed knows no notices)', async () => {
    const hub = await startTestHub(['--framing', 'chunk', ...QUICK]);
    const silent = await Receiver.open(hub.port);
    // Twice idle + pong timeout: in line framing it would be long gone.
    await new Promise((resolve) => setTimeout(resolve, 1_200));
    expect(silent.closed).toBe(false);
    expect(silent.notices).toEqual([]);
    silent.destroy();
  });
});

describe('the client keepalive', () => {
  it('answers the hub’s pings, so a quiet client stays connected', async () => {
    const hub = await startTestHub(QUICK_IDLE_SLOW_PONG);
    const alice = startTestClient(hub.port, key.path, 'alice');
    await alice.waitForLine('stderr', '* connected as #1', START_TIMEOUT_MS);
    // Ten idle periods without typing; without its #pong the hub would close it within about 1.5 s.
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    expect(hub.bin.stderr).not.toMatch(/event=idle|event=leave/);
    const reader = await Receiver.open(hub.port);
    await reader.waitForNotice('#hello ');
    alice.write('still here\n');
    await eventually(
      () => reader.others.length > 0,
      () => 'alice’s message to arrive',
    );
    expect(alice.stderr).not.toMatch(/dropping|lost/);
    reader.destroy();
  });

  it('notices a hub that never answers: pings it, drops the connection, and with --no-reconnect exits 1', async () => {
    const received: string[] = [];
    // It welcomes the client like a hub, then falls silent for good.
    const fake = createServer((socket: Socket) => {
      socket.write('#hello fernet-chat/1 1 1\n');
      socket.setEncoding('latin1').on('data', (text: string) => received.push(text));
    });
    servers.push(fake);
    await new Promise<void>((resolve) => fake.listen(0, '127.0.0.1', resolve));
    const port = (fake.address() as { port: number }).port;

    const started = performance.now();
    // A second to answer: the fake hub's #hello comes from this test process, which may be slow.
    const alice = startTestClient(port, key.path, 'alice', ...QUICK_IDLE_SLOW_PONG, '--no-reconnect');
    await alice.waitForLine(
      'stderr',
      '* the hub did not answer a ping; dropping the connection',
      START_TIMEOUT_MS,
    );
    await alice.waitForLine('stderr', 'the connection to the hub was lost');
    const exit = await alice.waitForExit();
    const took = performance.now() - started;
    expect(exit.code).toBe(1);
    // The join token, then the ping that got no answer.
    const lines = received.join('').split('\n').filter(Boolean);
    expect(lines.at(-1)).toBe('#ping');
    expect(lines.length).toBe(2);
    console.log(`client noticed a dead hub ${took | 0} ms after starting (idle 0.3 s + pong timeout 1 s)`);
  });

  it('drops a connection on which the hub never says #hello, having sent nothing on it', async () => {
    const received: string[] = [];
    const fake = createServer((socket: Socket) => {
      socket.setEncoding('latin1').on('data', (text: string) => received.push(text));
    });
    servers.push(fake);
    await new Promise<void>((resolve) => fake.listen(0, '127.0.0.1', resolve));
    const port = (fake.address() as { port: number }).port;
    const alice = startTestClient(port, key.path, 'alice', ...QUICK, '--no-reconnect');
    alice.write('anyone there?\n');
    const exit = await alice.waitForExit();
    expect(exit.code).toBe(1);
    // One line says it: the status line that a reconnect attempt gets would repeat it.
    const said = alice
      .lines('stderr')
      .filter((line) => line.includes('#hello') || line.includes('said nothing'));
    expect(said).toEqual([
      `fernet-chat-client: nothing at 127.0.0.1:${port} said #hello: is it a fernet-chat hub? (one with TLS needs --tls)`,
    ]);
    expect(received).toEqual([]);
  });

  it('reconnects after dropping a dead hub when reconnecting is on', async () => {
    let connections = 0;
    const fake = createServer((socket: Socket) => {
      connections++;
      socket.write('#hello fernet-chat/1 1 1\n');
    });
    servers.push(fake);
    await new Promise<void>((resolve) => fake.listen(0, '127.0.0.1', resolve));
    const port = (fake.address() as { port: number }).port;
    // A second to answer: the fake hub's #hello comes from this test process, which may be slow.
    const alice = startTestClient(port, key.path, 'alice', ...QUICK_IDLE_SLOW_PONG);
    await alice.waitForLine(
      'stderr',
      '* the hub did not answer a ping; dropping the connection',
      START_TIMEOUT_MS,
    );
    await alice.waitForLine('stderr', '* lost the connection to the hub');
    await alice.waitForLine('stderr', '* reconnected');
    expect(connections).toBe(2);
  });
});

describe('TCP keepalive', () => {
  const available = tcpSockets() !== undefined;
  if (!available) console.log('TCP keepalive test skipped: /proc/net/tcp cannot be read on this system');

  it.skipIf(!available)(
    'is on at both ends of a client’s connection (and not on a bare socket)',
    async () => {
      const hub = await startTestHub();
      const alice = startTestClient(hub.port, key.path, 'alice');
      await alice.waitForLine('stderr', '* connected as #', START_TIMEOUT_MS);
      const aliceRemote = Number(/event=join peer=1 remote=127\.0\.0\.1:(\d+)/.exec(hub.bin.stderr)![1]);
      const bare = await Receiver.open(hub.port);
      await bare.waitForNotice('#hello ');
      const bareLocal = bare.socket.localPort!;
      // Timer 1 (retransmit) means a segment still waits for its ACK: look again until it settles.
      const settledTimer = (local: number, remote: number) =>
        eventually(
          () => {
            const timer = tcpSocket(local, remote)?.timer;
            return timer === undefined || timer === 1 ? undefined : timer;
          },
          () => `the socket ${local} → ${remote} in /proc/net/tcp`,
        );
      expect(await settledTimer(aliceRemote, hub.port), 'the client’s end').toBe(2);
      expect(await settledTimer(hub.port, aliceRemote), 'the hub’s end of the client').toBe(2);
      expect(await settledTimer(hub.port, bareLocal), 'the hub’s end of a bare socket').toBe(2);
      expect(await settledTimer(bareLocal, hub.port), 'a bare socket (control: no keepalive)').toBe(0);
      bare.destroy();
    },
  );
});
