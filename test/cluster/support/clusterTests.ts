import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { START_TIMEOUT_MS, stopAll } from '../../support/bins.ts';
import { type HubUnderTest, startTestHub } from '../../support/hub.ts';
import { natsMissing, TestNatsServer } from '../../support/natsServer.ts';
import { RawSocket } from '../../support/rawSocket.ts';

/** A raw client of a clustered hub, with the `#hello` it was welcomed by. */
export interface ClusterPeer {
  readonly socket: RawSocket;
  readonly id: number;
  readonly hello: string[];
}

/**
 * What a file of cluster tests shares: one nats-server of its own (a free port, its own store,
 * started once for the file, stopped after it), hub bins joined to it, and raw clients, all
 * closed after each test. `skip` says the tests cannot run (no nats-server, outside CI).
 */
export function useClusterTests(what: string) {
  const skip = natsMissing(what);
  let server: TestNatsServer | undefined;
  const sockets: RawSocket[] = [];
  beforeAll(async () => {
    if (!skip) server = await TestNatsServer.start();
  });
  afterAll(async () => {
    await server?.stop();
  });
  afterEach(async () => {
    for (const socket of sockets.splice(0)) socket.destroy();
    await stopAll();
  });
  const nats = (): TestNatsServer => {
    if (server === undefined) throw new Error('the nats-server of this file did not start');
    return server;
  };
  return {
    skip,
    nats,
    /** A hub in `room` of this file's NATS, with no web listener. */
    clusteredHub(room: string, ...more: string[]): Promise<HubUnderTest> {
      return startTestHub(['--cluster', nats().url, '--room', room, '--no-web', ...more]);
    },
    /** A raw client of the hub at `port`, once it has its `#hello`. */
    async join(port: number): Promise<ClusterPeer> {
      const socket = await RawSocket.open(port);
      sockets.push(socket);
      const hello = (await socket.waitForLine(/^#hello /, START_TIMEOUT_MS)).split(' ');
      return { socket, id: Number(hello[2]), hello };
    },
    /** The socket of a raw client of the hub at `port`, once it has its `#hello`. */
    async connect(port: number): Promise<RawSocket> {
      return (await this.join(port)).socket;
    },
  };
}

/**
 * For a file that drives the cluster's parts directly: its own nats-server, and one NATS
 * connection to it (`connection()`), for the whole file.
 */
export function useNatsConnection(what: string) {
  const skip = natsMissing(what);
  let server: TestNatsServer | undefined;
  let nc: NatsConnection | undefined;
  beforeAll(async () => {
    if (skip) return;
    server = await TestNatsServer.start();
    nc = await connect({ servers: server.url });
  });
  afterAll(async () => {
    await nc?.close();
    await server?.stop();
  });
  return {
    skip,
    connection(): NatsConnection {
      if (nc === undefined) throw new Error('the nats-server of this file did not start');
      return nc;
    },
  };
}
