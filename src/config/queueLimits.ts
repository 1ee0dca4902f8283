/**
 * The limits of each peer's outbound queue and of the hub's backpressure, with their reasons: what
 * a client that reads slowly, or not at all, can make the hub hold, and how long it may hold the
 * room. Each a named default, used by outboundQueue.ts, backpressure.ts and peerActor.ts;
 * `--max-queue-bytes` (hubConfig.ts) is the one a user sets.
 */

/** A client's queue this many times maxQueueBytes is dropped as a slow consumer, whatever the cause. */
export const QUEUE_HARD_LIMIT_FACTOR = 16;

/**
 * Bytes in the socket's own buffer past which its writes count as backed up. The socket keeps
 * Node's default high-water mark (16 KiB), which also bounds what it reads ahead while paused;
 * with batched writes, 16 KiB is one turn of a busy room, not a sign of a slow reader.
 */
export const WRITE_HIGH_WATER_BYTES = 256 * 1024;

/** A batch this big is written at once instead of at the end of the event-loop turn. */
export const EAGER_FLUSH_BYTES = 64 * 1024;
/**
 * A batch of several frames up to this size goes out as one Buffer, copied per peer: a corked write
 * costs Node an object per frame and an array per batch, and in a busy room that garbage, not the
 * copy of a few hundred bytes, is what the hub's latency pays for (in scavenges). Bigger batches,
 * a backlog's, go out corked, with no copy.
 */
export const COALESCE_BYTES = 16 * 1024;
/** Most bytes handed to the socket in one write; the rest waits in the peer's own queue. */
export const MAX_WRITE_BYTES = 256 * 1024;
/**
 * The longest the hub waits for one peer to catch up (`waitFor`): a reader that keeps up with a busy
 * room catches up in milliseconds, and a stuck one holds the room this long once, then grows to its
 * hard limit.
 */
export const CATCH_UP_MS = 500;
/**
 * The wait for a reader that has never been seen to read (see `reads`): long enough for a busy
 * but healthy one to show that it reads (a drain, which makes the wait CATCH_UP_MS), short
 * enough that a wave of connections that never read cannot hold the room with their waits.
 */
export const FIRST_CATCH_UP_MS = 100;
/** A reader that takes nothing at all for this long is stuck, even while the hub is overloaded. */
export const DEFAULT_STUCK_MS = 5_000;

/**
 * How long, per second and at most at once, the room may be held for readers never seen reading
 * (FIRST_CATCH_UP_MS each): a wave of connections that never read would otherwise hold it for
 * one such wait after another. A healthy newcomer is waited for once, drains, and is then a
 * reader like any other.
 */
export const NEW_READER_WAIT_MS_PER_SECOND = 100;
export const NEW_READER_WAIT_BURST_MS = 2 * FIRST_CATCH_UP_MS;

/** How long a closing peer gets to take its last bytes before the socket is destroyed. */
export const LINGER_MS = 2_000;

/** What a closing peer may still send (read and dropped) before the hub stops reading it. */
export const CLOSING_READ_BYTES = 64 * 1024;
