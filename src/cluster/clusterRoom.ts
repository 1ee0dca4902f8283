import { jetstream } from '@nats-io/jetstream';
import { Observable } from 'rxjs';
import type { FrameRun } from '../streams/frameEvent.ts';
import type { HubEffect, HubEvent, LogRecord, PeerId } from '../streams/hubEvent.ts';
import { ClusterError } from './clusterError.ts';
import { connectNats } from './natsConnection.ts';
import { RoomPresence } from './presence.ts';
import { Publisher } from './publisher.ts';
import { RoomConsumer, type RoomMessage } from './roomConsumer.ts';
import { PEER_ID_STRIDE, roomNames } from './roomNames.ts';
import { framesIn } from './batches.ts';
import { firstSeqOf, openRoomStream, type RoomLimits } from './roomStream.ts';

export interface ClusterOptions {
  readonly servers: readonly string[];
  readonly room: string;
  readonly limits: RoomLimits;
  readonly maxUnackedBytes: number;
  readonly maxFrameBytes: number;
  /** Copies JetStream keeps of the streams this hub makes (--cluster-replicas). */
  readonly replicas: number;
}

/**
 * The hub's side of a room shared with other hubs (docs/protocol.md, "Cluster"): the edge that
 * turns the room's stream and the other hubs' presence into hub events, and the hub actor's
 * `publish` and `presence` effects into NATS messages. The hub actor does not know NATS.
 */
export interface ClusterRoom {
  /** The history epoch of the room: the same on every hub. */
  readonly epoch: string;
  readonly hubNumber: number;
  /** The first peer id this hub gives: peer ids are unique in the room. */
  readonly firstPeerId: PeerId;
  /**
   * `room-frames` in the stream's order (first the backlog that fills history, read before this
   * resolved) and `room-presence`. One subscriber; what comes before it subscribes is kept.
   */
  readonly events: Observable<HubEvent>;
  /**
   * Applies the hub actor's `publish` effect: how many of the run's frames were refused (NATS
   * has been away too long), 0 if none.
   */
  publish(peer: PeerId, run: FrameRun): number;
  /** Applies the hub actor's `presence` effect. */
  presence(effect: Extract<HubEffect, { type: 'presence' }>): void;
  close(): Promise<void>;
}

/** How long a start may take to read the room's recent messages into history. */
const BACKLOG_TIMEOUT_MS = 30_000;
/** How often a start that waits for the backlog checks whether its end has aged out. */
const BACKLOG_CHECK_MS = 1_000;
/** How long a stopping hub waits for NATS to acknowledge what it holds. */
const CLOSE_FLUSH_MS = 2_000;
/** Room for NATS's headers in a message under max_payload (MAX_SEGMENTS senders, ids, the digest). */
const HEADER_ROOM_BYTES = 2048;

/**
 * How long the room consumer's requests wait when it makes its consumer again (a stall, NATS
 * back): 2 s, not the client's 5. While a replicated stream elects a new leader they go
 * unanswered, and each attempt that waits out its timeout is time the room is not read (a test
 * that killed the leading server saw 5 s + 1 s per attempt, up to 20 s). The first consumer, at
 * start, keeps the 5 s: a slow machine's start is not retried.
 */
const CONSUMER_RESTART_TIMEOUT_MS = 2_000;

/** Joins the room: connects, opens the stream, reads its recent frames; or a ClusterError. */
export async function joinCluster(
  options: ClusterOptions,
  log: (record: LogRecord) => void,
): Promise<ClusterRoom> {
  const nc = await connectNats(options.servers, log);
  try {
    const maxPayload = nc.info?.max_payload ?? 1024 * 1024;
    if (options.maxFrameBytes + 1 + HEADER_ROOM_BYTES > maxPayload)
      throw new ClusterError(
        `--max-frame-bytes ${options.maxFrameBytes}: must be under NATS's max_payload (${maxPayload} bytes) less ${HEADER_ROOM_BYTES + 1} with --cluster, so that a frame fits in a NATS message`,
      );
    const stream = await openRoomStream(nc, options.room, options.limits, options.replicas, log);
    const names = roomNames(options.room);
    const js = jetstream(nc);

    // Events wait here until the hub subscribes; then they go straight to it.
    const waiting: HubEvent[] = [];
    let sink: ((event: HubEvent) => void) | undefined;
    const emit = (event: HubEvent) => (sink === undefined ? waiting.push(event) : sink(event));

    let caughtUp: () => void = () => {};
    const backlog = new Promise<void>((resolve) => {
      caughtUp = resolve;
    });
    if (stream.lastSeq < stream.startSeq) caughtUp();
    const take = (message: RoomMessage) => {
      const { data, segments } = message;
      // Each sender's run apart, so that it is not delivered back to its sender (views: no copy).
      if (segments === undefined)
        emit({ type: 'room-frames', run: { kind: 'frames', data, count: framesIn(data) } });
      else
        for (const { sender, frames, start, end } of segments)
          emit({
            type: 'room-frames',
            run: {
              kind: 'frames',
              data: start === 0 && end === data.length ? data : data.subarray(start, end),
              count: frames,
            },
            sender,
          });
      if (message.seq >= stream.lastSeq) caughtUp();
    };
    const consumer = new RoomConsumer(
      { first: js, again: jetstream(nc, { timeout: CONSUMER_RESTART_TIMEOUT_MS }) },
      stream.stream,
      stream.startSeq,
      take,
      log,
    );
    await consumer.start();
    // The newest message as we joined may age out before it is read, with nothing after it: then
    // the stream's first message is past it, and there is nothing more to wait for.
    const expiry = setInterval(() => {
      void firstSeqOf(nc, stream.stream).then((first) => {
        if (first !== undefined && first > stream.lastSeq) caughtUp();
      });
    }, BACKLOG_CHECK_MS);
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new ClusterError(
              `the room's stream did not give its recent messages within ${BACKLOG_TIMEOUT_MS / 1000} s`,
            ),
          ),
        BACKLOG_TIMEOUT_MS,
      );
    });
    try {
      await Promise.race([backlog, late]);
    } finally {
      clearTimeout(timer);
      clearInterval(expiry);
    }

    const publisher = new Publisher(
      js,
      names.frames,
      options.maxUnackedBytes,
      maxPayload - HEADER_ROOM_BYTES,
      log,
    );
    void (async () => {
      for await (const status of nc.status())
        if (status.type === 'disconnect') publisher.disconnected();
        else if (status.type === 'reconnect') {
          consumer.restart();
          publisher.reconnected();
        }
    })();
    const presence = new RoomPresence(nc, names.presence, stream.hubNumber, (news) =>
      emit({ type: 'room-presence', ...news }),
    );
    log({
      event: 'cluster-joined',
      room: options.room,
      hub: stream.hubNumber,
      epoch: stream.epoch,
      from: stream.startSeq,
      through: stream.lastSeq,
    });

    return {
      epoch: stream.epoch,
      hubNumber: stream.hubNumber,
      firstPeerId: stream.hubNumber * PEER_ID_STRIDE + 1,
      events: new Observable<HubEvent>((subscriber) => {
        for (const event of waiting.splice(0)) subscriber.next(event);
        sink = (event) => subscriber.next(event);
        return () => {
          sink = undefined;
        };
      }),
      publish: (peer, run) => publisher.offer(peer, run.data),
      presence: (effect) => presence.update(effect.online, effect.change),
      close: async () => {
        presence.close();
        // What local peers said last goes out before the hub does, within a bound.
        if (!(await publisher.flushed(CLOSE_FLUSH_MS)))
          log({
            event: 'cluster-unsent',
            held: publisher.heldBytes,
            detail: 'NATS did not acknowledge these before the hub stopped',
          });
        publisher.close();
        consumer.close();
        await nc.drain().catch(() => nc.close());
      },
    };
  } catch (error) {
    await nc.close().catch(() => {});
    // One line that names the setting and its value, as every start error does.
    if (error instanceof ClusterError && !error.message.startsWith('--'))
      throw new ClusterError(`--cluster ${options.servers.join(',')}: ${error.message}`);
    throw error;
  }
}
