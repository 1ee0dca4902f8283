import { type HubConfig, QUEUE_HARD_LIMIT_FACTOR } from './hubConfig.ts';

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
/** What the log may hold for a reader that does not keep up (LogSink). */
export const LOG_BACKLOG_BUDGET_BYTES = 1024 * KiB;

export interface MemoryBudget {
  /**
   * Per connection: its state and notices, what Node reads ahead while it is paused, and what it
   * keeps of writes not yet taken.
   */
  readonly perConnection: number;
  /** In all, for unfinished frames and reads that flood control holds back (--max-input-bytes). */
  readonly input: number;
  /**
   * Distinct frame bytes waiting to be written. Every queue holds the same shared Buffers in the
   * same order, so together they hold no more than the longest queue: the hard limit.
   */
  readonly outbound: number;
  readonly log: number;
  /** The most that clients can make the hub hold, with `connections` of them, above its start. */
  readonly total: number;
}

/** The hub's memory budget: what no sequence of bytes from clients can take it past. */
export function memoryBudget(config: HubConfig, connections = config.maxConnections): MemoryBudget {
  const perConnection = CONNECTION_STATE_BYTES + READ_AHEAD_BYTES + WRITE_BEHIND_BYTES;
  const input = config.maxInputBytes;
  const outbound = config.maxQueueBytes * QUEUE_HARD_LIMIT_FACTOR;
  const log = LOG_BACKLOG_BUDGET_BYTES;
  return { perConnection, input, outbound, log, total: connections * perConnection + input + outbound + log };
}
