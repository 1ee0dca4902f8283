import { connect, type NatsConnection } from '@nats-io/transport-node';
import type { LogRecord } from '../streams/hubEvent.ts';
import { ClusterError, natsProblem } from './clusterError.ts';

/** Reconnecting forever, quickly: a hub's clients only see a delay while NATS is away. */
const RECONNECT_WAIT_MS = 250;
const RECONNECT_JITTER_MS = 100;
/** A first connection that takes longer than this counts as NATS being away. */
const CONNECT_TIMEOUT_MS = 5_000;
/** Pings every 5 s, two unanswered: a NATS server that froze is noticed within about 15 s. */
const PING_INTERVAL_MS = 5_000;

/** The hub's one NATS connection, or a ClusterError saying why there is none. */
export async function connectNats(
  servers: readonly string[],
  log: (record: LogRecord) => void,
): Promise<NatsConnection> {
  let nc: NatsConnection;
  try {
    nc = await connect({
      servers: [...servers],
      name: 'fernet-chat-hub',
      maxReconnectAttempts: -1,
      reconnectTimeWait: RECONNECT_WAIT_MS,
      reconnectJitter: RECONNECT_JITTER_MS,
      timeout: CONNECT_TIMEOUT_MS,
      pingInterval: PING_INTERVAL_MS,
      maxPingOut: 2,
    });
  } catch (error) {
    throw new ClusterError(
      `--cluster ${servers.join(',')}: cannot reach NATS (${natsProblem(error)}); a clustered hub does not start without it: start NATS first, or run without --cluster`,
    );
  }
  // What NATS does is said in the hub's words, one line per change of state.
  void (async () => {
    for await (const status of nc.status()) {
      if (status.type === 'disconnect') log({ event: 'cluster-down', server: String(status.server) });
      else if (status.type === 'reconnect') log({ event: 'cluster-up', server: String(status.server) });
      else if (status.type === 'staleConnection') log({ event: 'cluster-stale' });
    }
  })();
  return nc;
}
