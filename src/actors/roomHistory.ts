import { frameDigest } from '../protocol/frameDigest.ts';

/** What the room remembers; a limit of 0 in any of them turns history off. */
export interface HistoryLimits {
  /** Most data frames kept. */
  readonly frames: number;
  /** Bytes of frames kept in all, LFs included. */
  readonly bytes: number;
  /** Oldest frame kept, in milliseconds on the clock of the hub's ticks. */
  readonly maxAgeMs: number;
}

/** Frames `(after, through]` of the room, as runs that share the relayed Buffers. */
export interface HistorySlice {
  readonly runs: Buffer[];
  readonly frames: number;
  /** Frames in that range that were not sent: evicted, or past the answer's byte limit. */
  readonly missing: boolean;
}

/** One relayed run: frames `first … first + count - 1` of the room, as they arrived. */
interface Entry {
  data: Buffer;
  count: number;
  first: number;
  readonly at: number;
  /** The digest of each frame, once someone has needed one (hashing costs about 1.6 µs a frame). */
  digests: string[] | undefined;
}

const LF = 0x0a;

/**
 * The room's recent frames, numbered in the order the hub relayed them (1, 2, …; the numbers
 * never leave the hub: clients name frames by digest). It holds the Buffers the hub relayed,
 * without copying, within three limits, and evicts the oldest first.
 *
 * Digests are computed lazily, when a join or a resume needs one, so the relaying path does not
 * hash at all; each frame is hashed at most once.
 */
export class RoomHistory {
  private readonly entries: Entry[] = [];
  private head = 0;
  private frames = 0;
  private bytes = 0;
  /** The number the next frame gets. */
  private next = 1;
  /** Every frame numbered up to here that is still kept is in `bySeq`. */
  private hashedThrough = 0;
  private readonly bySeq = new Map<string, number>();
  /**
   * The frame evicted last, kept so that a client whose last frame has just gone, but nothing
   * after it, still resumes complete (a quiet room whose history emptied by age).
   */
  private lastEvicted: { data: Buffer; seq: number; digest?: string } | undefined;

  constructor(private readonly limits: HistoryLimits) {}

  get enabled(): boolean {
    return this.limits.frames > 0 && this.limits.bytes > 0 && this.limits.maxAgeMs > 0;
  }

  /** The number of the newest frame relayed (0: none yet). */
  get newest(): number {
    return this.next - 1;
  }

  /** The number of the oldest frame kept (`newest + 1` when none is). */
  get oldest(): number {
    return this.entries[this.head]?.first ?? this.next;
  }

  get size(): { frames: number; bytes: number } {
    return { frames: this.frames, bytes: this.bytes };
  }

  /** Keeps a run of `count` frames relayed at `now`. */
  append(data: Buffer, count: number, now: number): void {
    if (!this.enabled) {
      this.next += count;
      return;
    }
    this.entries.push({ data, count, first: this.next, at: now, digests: undefined });
    this.next += count;
    this.frames += count;
    this.bytes += data.length;
    while (this.frames > this.limits.frames) this.evictOldest(this.frames - this.limits.frames);
    while (this.bytes > this.limits.bytes) this.evictOldest(1);
  }

  /** Lets go of frames older than the age limit. */
  expire(now: number): void {
    const cutoff = now - this.limits.maxAgeMs;
    for (let entry = this.entries[this.head]; entry !== undefined && entry.at < cutoff;) {
      this.evictOldest(entry.count);
      entry = this.entries[this.head];
    }
  }

  /** The digest of frame `seq`, if it is kept (or was the last to go). */
  digestOf(seq: number): string | undefined {
    if (seq < 1) return undefined;
    if (seq < this.oldest) return seq === this.lastEvicted?.seq ? this.lastEvictedDigest() : undefined;
    this.hashThroughNewest();
    const entry = this.entryOf(seq);
    return entry?.digests?.[seq - entry.first];
  }

  /**
   * The number of the frame named `digest`: its newest copy when a frame was relayed twice. Also
   * the last evicted frame's, so that a resume after it can still be complete.
   */
  seqOf(digest: string): number | undefined {
    this.hashThroughNewest();
    const seq = this.bySeq.get(digest);
    if (seq !== undefined) return seq;
    return this.lastEvicted !== undefined && this.lastEvictedDigest() === digest
      ? this.lastEvicted.seq
      : undefined;
  }

  /**
   * Frames `(after, through]`, newest first until `maxBytes` would be exceeded, returned oldest
   * first. `missing` says that some of them could not be sent.
   */
  slice(after: number, through: number, maxBytes: number): HistorySlice {
    const from = Math.max(after, this.oldest - 1);
    // Evicted frames are missing only if they were in the range asked for.
    let missing = Math.min(from, through) > after;
    const runs: Buffer[] = [];
    let frames = 0;
    let bytes = 0;
    for (let i = this.entries.length - 1; i >= this.head; i--) {
      const entry = this.entries[i]!;
      const last = entry.first + entry.count - 1;
      if (entry.first > through) continue;
      if (last <= from) break;
      // This entry's frames in range, `lo … hi`, counted from 0 in the entry.
      const hi = Math.min(through, last) - entry.first;
      let lo = Math.max(from + 1, entry.first) - entry.first;
      const bounds = frameBounds(entry.data, lo, hi);
      let start = bounds[0];
      const end = bounds[1];
      const full = bytes + (end - start) <= maxBytes;
      // Past the byte limit, the newest frames of this entry that still fit, and no older ones.
      while (bytes + (end - start) > maxBytes && lo <= hi) {
        start = entry.data.indexOf(LF, start) + 1;
        lo++;
      }
      if (lo <= hi) {
        runs.push(entry.data.subarray(start, end));
        frames += hi - lo + 1;
        bytes += end - start;
      }
      if (!full) {
        missing = true;
        break;
      }
    }
    runs.reverse();
    return { runs, frames, missing };
  }

  private entryOf(seq: number): Entry | undefined {
    // Binary search: entries are in order of their first frame.
    let lo = this.head;
    let hi = this.entries.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const entry = this.entries[mid]!;
      if (seq < entry.first) hi = mid - 1;
      else if (seq >= entry.first + entry.count) lo = mid + 1;
      else return entry;
    }
    return undefined;
  }

  private hashThroughNewest(): void {
    if (this.hashedThrough >= this.newest) return;
    // Only entries after the last hashed frame need hashing; they are at the end. (None may be
    // left: everything can go unhashed, by age or for one frame over the byte limit, and the
    // slots below `head` are empty.)
    let i = Math.max(this.head, this.entries.length - 1);
    while (i > this.head && this.entries[i - 1]!.first > this.hashedThrough) i--;
    for (; i < this.entries.length; i++) {
      const entry = this.entries[i]!;
      if (entry.digests !== undefined) continue;
      const digests: string[] = [];
      let start = 0;
      for (let k = 0; k < entry.count; k++) {
        const end = entry.data.indexOf(LF, start);
        const digest = frameDigest(entry.data, start, end);
        digests.push(digest);
        this.bySeq.set(digest, entry.first + k);
        start = end + 1;
      }
      entry.digests = digests;
    }
    this.hashedThrough = this.newest;
  }

  /** Evicts up to `count` frames, all from the oldest entry. */
  private evictOldest(count: number): void {
    const entry = this.entries[this.head];
    if (entry === undefined) return;
    const k = Math.min(count, entry.count);
    const [lastStart, cut] = frameBounds(entry.data, k - 1, k - 1);
    for (let j = 0; j < k; j++) {
      const digest = entry.digests?.[j];
      if (digest !== undefined && this.bySeq.get(digest) === entry.first + j) this.bySeq.delete(digest);
    }
    this.lastEvicted = {
      data: entry.data.subarray(lastStart, cut - 1),
      seq: entry.first + k - 1,
      ...(entry.digests === undefined ? {} : { digest: entry.digests[k - 1]! }),
    };
    this.frames -= k;
    this.bytes -= cut;
    if (k === entry.count) {
      this.entries[this.head] = undefined as unknown as Entry;
      this.head++;
      // Compact now and then, so that the array does not grow without end.
      if (this.head > 1024 && this.head * 2 > this.entries.length) {
        this.entries.splice(0, this.head);
        this.head = 0;
      }
    } else {
      entry.data = entry.data.subarray(cut);
      entry.count -= k;
      entry.first += k;
      entry.digests = entry.digests?.slice(k);
    }
  }

  private lastEvictedDigest(): string {
    const evicted = this.lastEvicted!;
    return (evicted.digest ??= frameDigest(evicted.data));
  }
}

/** Byte bounds `[start, end)` of frames `lo … hi` of a run, the LF after `hi` included. */
function frameBounds(data: Buffer, lo: number, hi: number): [number, number] {
  let start = 0;
  for (let k = 0; k < lo; k++) start = data.indexOf(LF, start) + 1;
  let end = start;
  for (let k = lo; k <= hi; k++) end = data.indexOf(LF, end) + 1;
  return [start, end];
}
