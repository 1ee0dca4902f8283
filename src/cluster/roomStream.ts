import {
  DiscardPolicy,
  type JetStreamManager,
  jetstream,
  jetstreamManager,
  type StreamConfig,
  type StreamInfo,
  StorageType,
} from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import type { LogRecord } from '../streams/hubEvent.ts';
import { ClusterError, natsProblem } from './clusterError.ts';
import { HUBS_STREAM, HUBS_SUBJECT, roomNames, streamEpoch } from './roomNames.ts';

export interface RoomLimits {
  /** As the hub's history: the stream keeps at least what a hub's history may hold. */
  readonly frames: number;
  readonly seconds: number;
  readonly bytes: number;
}

export interface RoomStream {
  readonly stream: string;
  readonly epoch: string;
  /** This start's hub number, unique in the cluster (the hubs stream's sequence). */
  readonly hubNumber: number;
  /** The room's newest message as we joined (0: none): history is filled up to it before we serve. */
  readonly lastSeq: number;
  /** Where this hub starts consuming: the newest messages that its history may keep. */
  readonly startSeq: number;
}

/** The stream forgets nothing younger than this when history is off: it still orders the room. */
const NO_HISTORY_SECONDS = 120;
/** JetStream's own default de-duplication window; it may not be longer than the stream's max age. */
const DUPLICATE_WINDOW_SECONDS = 120;
const NS = 1_000_000_000;

/**
 * JetStream's refusals of a stream's replicas that mean its cluster has too few servers for
 * them (nats-server 2.9): 10074 "replicas > 1 not supported in non-clustered mode" (one server),
 * 10005 "no suitable peers for placement" (a cluster of fewer servers), 10023 "insufficient
 * resources" (no servers with room for that many copies), 10052 "maximum replicas is 5".
 */
const TOO_FEW_SERVERS = new Set([10074, 10005, 10023, 10052]);

/**
 * The room's stream (made by the first hub; later hubs take it as it is, limits and replicas
 * included: other replicas than `replicas` are logged) and this hub's number. More replicas than
 * NATS has JetStream servers is a ClusterError.
 */
export async function openRoomStream(
  nc: NatsConnection,
  room: string,
  limits: RoomLimits,
  replicas = 1,
  log: (record: LogRecord) => void = () => {},
): Promise<RoomStream> {
  const names = roomNames(room);
  let jsm: JetStreamManager;
  try {
    jsm = await jetstreamManager(nc, { timeout: 5_000 });
  } catch (error) {
    throw new ClusterError(
      /jetstream (is )?not enabled|503|no responders/i.test(String(error))
        ? 'NATS answered but has no JetStream: start nats-server with -js (and -sd DIR to keep rooms on disk)'
        : `NATS answered but its JetStream did not (${natsProblem(error)})`,
    );
  }
  const history = limits.frames > 0 && limits.seconds > 0 && limits.bytes > 0;
  // Whole milliseconds, and at least a second: JetStream refuses ages under 100 ms.
  const seconds = Math.max(1, Math.round((history ? limits.seconds : NO_HISTORY_SECONDS) * 1000) / 1000);
  const info = await ensureStream(jsm, {
    name: names.stream,
    subjects: [names.frames],
    storage: StorageType.File,
    discard: DiscardPolicy.Old,
    max_age: Math.round(seconds * NS),
    ...(history ? { max_msgs: limits.frames, max_bytes: limits.bytes } : {}),
    duplicate_window: Math.round(Math.min(seconds, DUPLICATE_WINDOW_SECONDS) * NS),
    num_replicas: replicas,
  });
  const kept = info.config.num_replicas ?? 1;
  if (kept !== replicas)
    log({
      event: 'cluster-replicas',
      stream: names.stream,
      replicas: kept,
      asked: replicas,
      detail: `the room's stream exists with ${kept} replica(s), not the ${replicas} of --cluster-replicas: it keeps its own (the first hub made it)`,
    });
  await ensureStream(jsm, {
    name: HUBS_STREAM,
    subjects: [HUBS_SUBJECT],
    storage: StorageType.File,
    max_msgs: 1,
    num_replicas: replicas,
  });
  let hubNumber: number;
  try {
    const ack = await jetstream(nc).publish(HUBS_SUBJECT, JSON.stringify({ room }));
    hubNumber = ack.seq;
  } catch (error) {
    throw new ClusterError(`could not number this hub in the cluster (${natsProblem(error)})`);
  }
  const { first_seq: firstSeq, last_seq: lastSeq } = info.state;
  const startSeq = history ? Math.max(firstSeq, lastSeq - limits.frames + 1, 1) : lastSeq + 1;
  return {
    stream: names.stream,
    epoch: streamEpoch(names.stream, info.created),
    hubNumber,
    lastSeq,
    startSeq,
  };
}

async function ensureStream(
  jsm: JetStreamManager,
  config: Partial<StreamConfig> & { name: string },
): Promise<StreamInfo> {
  try {
    return await jsm.streams.add(config);
  } catch (error) {
    const replicas = config.num_replicas ?? 1;
    const code = (error as { code?: unknown }).code;
    if (replicas > 1 && typeof code === 'number' && TOO_FEW_SERVERS.has(code))
      throw new ClusterError(
        `--cluster-replicas ${replicas}: NATS has fewer JetStream servers than that (JetStream said: ${(error as Error).message}); start NATS as a cluster of at least ${replicas} servers with -js, or ask for fewer replicas`,
      );
    // Made by another hub with other limits: the room's stream is the one that exists.
    try {
      return await jsm.streams.info(config.name);
    } catch {
      throw new ClusterError(`could not open the JetStream stream ${config.name} (${natsProblem(error)})`);
    }
  }
}

/** The oldest message the stream still keeps (its first sequence), or undefined if it cannot say now. */
export async function firstSeqOf(nc: NatsConnection, stream: string): Promise<number | undefined> {
  try {
    const jsm = await jetstreamManager(nc, { timeout: 2_000 });
    return (await jsm.streams.info(stream)).state.first_seq;
  } catch {
    return undefined;
  }
}
