import type { HubConfig } from './hubConfig.ts';
import { MAX_WRITE_BYTES, QUEUE_HARD_LIMIT_FACTOR } from './queueLimits.ts';

const KiB = 1024;

/**
 * What one connection costs the hub whatever it sends: the socket and its peer actor (about
 * 7 KiB measured with 10,000 idle connections, rounded up for the queue's arrays and timers),
 * and the `#hello`, up to 11 `#error` replies, `#pong`s and `#bye` it may have queued for it.
 */
export const CONNECTION_STATE_BYTES = 16 * KiB;
/**
 * What Node reads ahead for a paused socket (flood control, overload): its readable high-water
 * mark (16 KiB) and one read of up to 64 KiB.
 */
export const READ_AHEAD_BYTES = 80 * KiB;
/**
 * What Node keeps of the writes a reader has not taken yet: the frames themselves are shared
 * (counted once, below), but Node holds an entry for each queued run until 256 KiB of them wait,
 * which for the smallest frames sent one per read is about 2,600 entries. Measured: 2,000
 * connections that never read, sent 100-byte tokens one per write for 40 s, held 160 KiB each.
 * (A reader seen reading may hold more while it catches up: its queue limits bound it, and the
 * overload rule pauses the room once a quarter of the readers are backed up.)
 */
export const WRITE_BEHIND_BYTES = 160 * KiB;
/**
 * With TLS (--tls-cert), what each connection holds beyond a plain one's, whatever it sends or
 * does not read: its TLS state (OpenSSL's buffers and session), measured at 33–40 KiB for an idle
 * connection (1,000 connections: 19 KiB each plain, 52–59 KiB with TLS), rounded up.
 */
export const TLS_STATE_BYTES = 48 * KiB;
/**
 * With TLS, the ciphertext of what a connection has been handed and the kernel has not taken: it
 * is each connection's own (the frames are shared, their encryption is not), up to one write,
 * MAX_WRITE_BYTES, for a reader that does not read.
 */
export const TLS_CIPHERTEXT_BYTES = MAX_WRITE_BYTES;
/** What the log may hold for a reader that does not keep up (LogSink). */
export const LOG_BACKLOG_BUDGET_BYTES = 1024 * KiB;
/** The smallest data frame: a token of 73 bytes is 100 characters, and its LF. */
export const MIN_FRAME_BYTES = 101;
/** The most one socket read holds: Node reads 64 KiB at a time. */
export const READ_BYTES = 64 * KiB;
/**
 * A kept run of frames is a view of the read it came in, which it keeps alive whole: PeerActor
 * copies a run out (`unpinned`) only when it is under a quarter of its read, so a run keeps at
 * most four times its bytes alive.
 */
export const VIEW_FACTOR = 4;
/**
 * What history holds for each frame beyond its bytes, at the worst: a frame alone in its read is
 * an entry, a Buffer with a backing store of its own, a digest and a place in the digest map.
 * Measured in the hub, 166,000 of the smallest frames each in a read of its own (16 MiB, with
 * --history-frames 1000000), digests computed: 519 bytes of heap and 853 of RSS each beyond the
 * frame's own 101.
 */
export const HISTORY_FRAME_OVERHEAD_BYTES = 1 * KiB;

export interface MemoryBudget {
  /**
   * Per connection: its state and notices, what Node reads ahead while it is paused, and what it
   * keeps of writes not yet taken; with TLS, its `tls` share too.
   */
  readonly perConnection: number;
  /** Of perConnection, what TLS adds (0 without --tls-cert): its state and its own ciphertext. */
  readonly tls: number;
  /** In all, for unfinished frames and reads that flood control holds back (--max-input-bytes). */
  readonly input: number;
  /**
   * What frames waiting to be written keep alive. Every queue holds the same shared Buffers in the
   * same order, so together they hold no more than the longest queue, the hard limit, each frame
   * keeping at most VIEW_FACTOR times its bytes of its read.
   */
  readonly outbound: number;
  readonly log: number;
  /**
   * The room's history: what its kept frames keep alive, and their bookkeeping (see
   * historyBudget). Nothing in it depends on the number of connections.
   */
  readonly history: number;
  /** The most that clients can make the hub hold, with `connections` of them, above its start. */
  readonly total: number;
}

/** The hub's memory budget: what no sequence of bytes from clients can take it past. */
export function memoryBudget(config: HubConfig, connections = config.maxConnections): MemoryBudget {
  const tls = config.tlsCert === undefined ? 0 : TLS_STATE_BYTES + TLS_CIPHERTEXT_BYTES;
  const perConnection = CONNECTION_STATE_BYTES + READ_AHEAD_BYTES + WRITE_BEHIND_BYTES + tls;
  const input = config.maxInputBytes;
  // The longest queue's frames, each a view that may keep up to VIEW_FACTOR times its bytes alive.
  const outbound = VIEW_FACTOR * config.maxQueueBytes * QUEUE_HARD_LIMIT_FACTOR;
  const log = LOG_BACKLOG_BUDGET_BYTES;
  const history = historyBudget(config);
  return {
    perConnection,
    tls,
    input,
    outbound,
    log,
    history,
    total: connections * perConnection + input + outbound + log + history,
  };
}

/**
 * What history may hold (docs/protocol.md, "History and resume"): --history-bytes of frames,
 * which keep alive at most VIEW_FACTOR times their bytes and at most one read each (so with the
 * default 500 frames about 31 MiB, not 64: measured, 500 frames of 16 KiB each read with 48 KiB
 * of refused line held 31.4 MiB of array buffers); one read more for the oldest run, which
 * eviction may have cut down to one frame while it keeps its whole read, and one for the last
 * frame evicted; and the bookkeeping of every frame it can hold, at most --history-frames and no
 * more than --history-bytes of the smallest frames. Off (a limit of 0, or the seed's framing): 0.
 */
export function historyBudget(config: HubConfig): number {
  const { historyFrames, historyBytes, historySeconds } = config;
  if (config.framing === 'chunk' || historyFrames === 0 || historyBytes === 0 || historySeconds === 0)
    return 0;
  // A frame completed across reads sits in a Buffer of its own, up to the frame limit.
  const largestRun = Math.max(READ_BYTES, config.maxFrameBytes + 1);
  const frames = Math.min(historyFrames, Math.floor(historyBytes / MIN_FRAME_BYTES));
  const kept = Math.min(VIEW_FACTOR * historyBytes, frames * largestRun) + 2 * largestRun;
  return kept + frames * HISTORY_FRAME_OVERHEAD_BYTES;
}
