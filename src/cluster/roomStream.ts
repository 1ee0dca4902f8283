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
 * The room's stream (made by the first hub; later hubs take it as it is, limits included) and
 * this hub's number.
 */
export async function openRoomStream(
  nc: NatsConnection,
  room: string,
  limits: RoomLimits,
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
  });
  await ensureStream(jsm, {
    name: HUBS_STREAM,
    subjects: [HUBS_SUBJECT],
    storage: StorageType.File,
    max_msgs: 1,
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
    // Made by another hub with other limits: the room's stream is the one that exists.
    try {
      return await jsm.streams.info(config.name);
    } catch {
      throw new ClusterError(`could not open the JetStream stream ${config.name} (${natsProblem(error)})`);
    }
  }
}
