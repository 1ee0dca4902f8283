import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { START_TIMEOUT_MS, startBin, stopAll } from '../support/bins.ts';
import { startTestHub } from '../support/hub.ts';
import { natsMissing, TestNatsCluster, TestNatsServer } from '../support/natsServer.ts';
import { RawSocket } from '../support/rawSocket.ts';
import { tokenOf } from '../support/testKey.ts';

// --cluster-replicas against real nats-servers this file starts: a NATS cluster of three
// (free ports, own stores, shared by the file; the last test kills one of them) and, for the
// refusal, one lone server.

const skip = natsMissing('the cluster replicas tests');
let nats: TestNatsCluster | undefined;
const sockets: RawSocket[] = [];

beforeAll(async () => {
  if (!skip) nats = await TestNatsCluster.start();
}, 30_000);
afterAll(async () => {
  await nats?.stop();
});
afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.destroy();
  await stopAll();
});

/** A hub of `room` on all three servers of the file's NATS cluster, with no web listener. */
function replicatedHub(room: string, ...more: string[]) {
  return startTestHub(['--cluster', nats!.urls.join(','), '--room', room, '--no-web', ...more]);
}

async function join(port: number): Promise<RawSocket> {
  const socket = await RawSocket.open(port);
  sockets.push(socket);
  await socket.waitForLine(/^#hello /, START_TIMEOUT_MS);
  return socket;
}

/** What a raw client got from others: its frames, without the hub's notices. */
const framesOf = (socket: RawSocket) => socket.lines().filter((line) => !line.startsWith('#'));

describe.skipIf(skip)('--cluster-replicas', () => {
  it('a room stream made with other replicas: a later hub takes it as it is and logs one line saying so', async () => {
    await replicatedHub('made-r1');
    const later = await replicatedHub('made-r1', '--cluster-replicas', '3');
    const line = await later.bin.waitForLine('stderr', /event=cluster-replicas /);
    expect(line).toContain('stream=FERNET_CHAT_ROOM_made-r1 replicas=1 asked=3');
    const x = await join(later.port);
    expect(x.lines()[0]).toMatch(/^#hello /);
  }, 30_000);

  it('--cluster-replicas 3 on one NATS server: the hub exits 1 with one line that says why', async () => {
    const lone = await TestNatsServer.start();
    try {
      const hub = startBin('hub', [
        '--port',
        '0',
        '--no-web',
        '--cluster',
        lone.url,
        '--cluster-replicas',
        '3',
      ]);
      expect((await hub.waitForExit(15_000)).code).toBe(1);
      expect(hub.lines('stderr')).toEqual([
        'fernet-chat-hub: --cluster-replicas 3: NATS has fewer JetStream servers than that (JetStream said: replicas > 1 not supported in non-clustered mode); start NATS as a cluster of at least 3 servers with -js, or ask for fewer replicas',
      ]);
    } finally {
      await lone.stop();
    }
  }, 30_000);

  it('--cluster-replicas 5 on three NATS servers: the hub exits 1 with one line that says why', async () => {
    const hub = startBin('hub', [
      '--port',
      '0',
      '--no-web',
      '--cluster',
      nats!.urls.join(','),
      '--cluster-replicas',
      '5',
    ]);
    expect((await hub.waitForExit(15_000)).code).toBe(1);
    expect(hub.lines('stderr')).toEqual([
      'fernet-chat-hub: --cluster-replicas 5: NATS has fewer JetStream servers than that (JetStream said: no suitable peers for placement); start NATS as a cluster of at least 5 servers with -js, or ask for fewer replicas',
    ]);
  }, 30_000);

  it('kill -9 the NATS server that leads the room stream (3 servers, --cluster-replicas 3): frames still flow both ways, none lost or doubled', async () => {
    const [a, b] = await Promise.all([
      replicatedHub('replicated', '--cluster-replicas', '3'),
      replicatedHub('replicated', '--cluster-replicas', '3'),
    ]);
    const x = await join(a.port);
    const y = await join(b.port);
    const before = [tokenOf('x before'), tokenOf('y before')] as const;
    await x.write(`${before[0]}\n`);
    await y.waitForLine(before[0]);
    await y.write(`${before[1]}\n`);
    await x.waitForLine(before[1]);

    const nc = await connect({ servers: nats!.urls });
    let leader: string;
    try {
      const info = await (await jetstreamManager(nc)).streams.info('FERNET_CHAT_ROOM_replicated');
      expect(info.config.num_replicas).toBe(3);
      expect(info.cluster?.replicas?.length).toBe(2);
      leader = info.cluster!.leader!;
    } finally {
      await nc.close();
    }
    await nats!.named(leader).kill();

    // Said after the kill, from both sides, each line once: the other two servers elect a new
    // leader of the stream and the hubs' publishers and consumers carry on with it.
    const fromX = Array.from({ length: 3 }, (_, i) => tokenOf(`x after ${i}`));
    const fromY = Array.from({ length: 3 }, (_, i) => tokenOf(`y after ${i}`));
    for (let i = 0; i < 3; i++) {
      await x.write(`${fromX[i]}\n`);
      await y.write(`${fromY[i]}\n`);
    }
    // The election takes about 5 s; then the hubs' consumers are made again (2 s per attempt
    // that goes unanswered). 6.6-13.4 s in 8 runs alone; a loaded machine stretches it.
    await y.waitForLine(fromX[2]!, 40_000);
    await x.waitForLine(fromY[2]!, 40_000);
    expect(framesOf(x)).toEqual([before[1], ...fromY]);
    expect(framesOf(y)).toEqual([before[0], ...fromX]);
  }, 90_000);
});
