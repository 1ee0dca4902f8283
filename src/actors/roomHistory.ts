import { DIGEST_BYTES, frameDigest, frameDigestBytes } from '../protocol/frameDigest.ts';
import { DigestIndex } from './digestIndex.ts';

/** What the room remembers; a limit of 0 in any of them turns history off. */
export interface HistoryLimits {
  /** Most data frames kept. */
  readonly frames: number;
  /** Bytes of frames kept in all, LFs included. */
  readonly bytes: number;
  /** Oldest frame kept, in milliseconds on the clock of the hub's ticks. */
  readonly maxAgeMs: number;
}

/** Frames `(after, through]` of the room, as views of what the history keeps (no copy per answer). */
export interface HistorySlice {
  readonly runs: Buffer[];
  readonly frames: number;
  /** Frames in that range that were not sent: evicted, or past the answer's byte limit. */
  readonly missing: boolean;
}

const LF = 0x0a;

/** Cleared run slots are dropped from the front of the run array once there are this many. */
const COMPACT_AFTER_RUNS = 1024;

/** The ring of frames starts this large and doubles when full. */
const FIRST_CAPACITY = 64;

/**
 * The room's recent frames, numbered in the order the hub relayed them (1, 2, …; the numbers
 * never leave the hub: clients name frames by digest), within three limits; the oldest go first.
 *
 * It keeps the runs the hub relayed, as they are (no copy), and nothing else per run: where each
 * frame lies in its run and when it came are numbers in typed arrays, a ring indexed by the
 * frame's number. An entry object per run, living as long as its frames, was copied by every
 * scavenge and then promoted, and added about 0.9 ms to the room's p99 at 2,000 frames/s; with the
 * ring, p99 is where it is without history (BENCHMARKS.md). An answer is views of the kept runs,
 * never a copy.
 *
 * Digests are computed lazily, when a join or a resume needs one, so the relaying path does not
 * hash at all; each frame is hashed at most once.
 */
export class RoomHistory {
  /** Frames `first … next - 1` are kept, frame `seq` at `seq & mask` of the arrays below. */
  private first = 1;
  private next = 1;
  private mask = -1;
  /** The serial number of the run (below) that holds the frame, and its bytes there. */
  private runOf = new Float64Array(0);
  private startOf = new Int32Array(0);
  /** Just past the frame's LF. */
  private endOf = new Int32Array(0);
  /** 1 for the first frame of a run as it was relayed: an answer keeps the runs as they came. */
  private opensRun = new Uint8Array(0);
  /** When it was relayed, on the clock of the hub's ticks. */
  private atOf = new Float64Array(0);
  private bytes = 0;

  /**
   * The relayed runs holding kept frames: run `n` is `runs[runHead + n - firstRun]`. Runs that
   * go are cleared in place and the array is compacted once half of it is cleared: a splice per
   * evicted run moved every kept one, and with 166,000 one-frame runs (16 MiB of the smallest
   * frames) that stalled the room for seconds (npm run attack, history-tiny-runs).
   */
  private runs: (Buffer | undefined)[] = [];
  private runHead = 0;
  private firstRun = 0;

  /**
   * The digests of kept frames, once someone has needed one (hashing costs about 1.6 µs a
   * frame): every frame numbered up to `hashedThrough` that is still kept is in `digests`.
   */
  private hashedThrough = 0;
  private readonly digests = new DigestIndex();
  /**
   * The frame evicted last, kept so that a client whose last frame has just gone, but nothing
   * after it, still resumes complete (a quiet room whose history emptied by age).
   */
  private evictedSeq = 0;
  private evictedRun: Buffer | undefined;
  private evictedStart = 0;
  private evictedEnd = 0;
  private evictedDigest: string | undefined;
  /** Its digest's bytes, when it was hashed while kept. */
  private readonly evictedDigestBytes = new Uint8Array(DIGEST_BYTES);
  private evictedHashed = false;

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
    return this.first;
  }

  get size(): { frames: number; bytes: number } {
    return { frames: this.next - this.first, bytes: this.bytes };
  }

  /** Keeps a run of `count` frames relayed at `now`. */
  append(data: Buffer, count: number, now: number): void {
    if (!this.enabled) {
      this.next += count;
      this.first = this.next;
      return;
    }
    // Room for the run within the frame limit first, so that the ring need not grow past it.
    const over = this.next - this.first + Math.min(count, this.limits.frames) - this.limits.frames;
    for (let k = 0; k < over; k++) this.evictOldest();
    if (this.next - this.first + count > this.runOf.length) this.grow(this.next - this.first + count);
    this.runs.push(data);
    const run = this.firstRun + this.runs.length - this.runHead - 1;
    let start = 0;
    for (let k = 0; k < count; k++) {
      const end = data.indexOf(LF, start) + 1;
      const i = this.next & this.mask;
      this.runOf[i] = run;
      this.startOf[i] = start;
      this.endOf[i] = end;
      this.opensRun[i] = k === 0 ? 1 : 0;
      this.atOf[i] = now;
      this.next++;
      start = end;
    }
    this.bytes += data.length;
    while (this.next - this.first > this.limits.frames) this.evictOldest();
    while (this.bytes > this.limits.bytes) this.evictOldest();
  }

  /** Lets go of frames older than the age limit. */
  expire(now: number): void {
    const cutoff = now - this.limits.maxAgeMs;
    while (this.first < this.next && this.atOf[this.first & this.mask]! < cutoff) this.evictOldest();
  }

  /** The digest of frame `seq`, if it is kept (or was the last to go). */
  digestOf(seq: number): string | undefined {
    if (seq < 1 || seq >= this.next) return undefined;
    if (seq < this.first) return seq === this.evictedSeq ? this.lastEvictedDigest() : undefined;
    if (seq <= this.hashedThrough) {
      const digest = this.digests.digestAt(seq);
      return Buffer.from(digest.buffer, digest.byteOffset, DIGEST_BYTES).toString('base64url');
    }
    // One frame is hashed, not all those since the last lookup: every join asks for the newest,
    // and hashing the whole history then (up to 0.8 ms at the defaults) would stall the room.
    const i = seq & this.mask;
    return frameDigest(this.run(this.runOf[i]!), this.startOf[i]!, this.endOf[i]! - 1);
  }

  /**
   * The number of the frame named `digest`: its newest copy when a frame was relayed twice. Also
   * the last evicted frame's, so that a resume after it can still be complete.
   */
  seqOf(digest: string): number | undefined {
    this.hashThroughNewest();
    const named = Buffer.from(digest, 'base64url');
    const seq = named.length === DIGEST_BYTES ? this.digests.find(named) : undefined;
    if (seq !== undefined) return seq;
    return this.evictedRun !== undefined && this.lastEvictedDigest() === digest ? this.evictedSeq : undefined;
  }

  /**
   * Frames `(after, through]`, newest first until `maxBytes` would be exceeded, returned oldest
   * first. `missing` says that some of them could not be sent.
   */
  slice(after: number, through: number, maxBytes: number): HistorySlice {
    const from = Math.max(after, this.first - 1);
    // Evicted frames are missing only if they were in the range asked for.
    let missing = Math.min(from, through) > after;
    const last = Math.min(through, this.next - 1);
    // The oldest frame sent: the newest frames that fit, and no older ones.
    let lo = last + 1;
    let bytes = 0;
    while (lo - 1 > from) {
      const i = (lo - 1) & this.mask;
      const length = this.endOf[i]! - this.startOf[i]!;
      if (bytes + length > maxBytes) {
        missing = true;
        break;
      }
      bytes += length;
      lo--;
    }
    const runs: Buffer[] = [];
    // One view per run as it was relayed, or what is left of it.
    for (let seq = lo; seq <= last;) {
      const i = seq & this.mask;
      const run = this.runOf[i]!;
      const start = this.startOf[i]!;
      let end = this.endOf[i]!;
      for (seq++; seq <= last; seq++) {
        const j = seq & this.mask;
        if (this.opensRun[j] === 1) break;
        end = this.endOf[j]!;
      }
      runs.push(this.run(run).subarray(start, end));
    }
    return { runs, frames: Math.max(0, last - lo + 1), missing };
  }

  /** Makes the ring hold at least `frames` frames (a power of two), the kept ones moved over. */
  private grow(frames: number): void {
    let capacity = Math.max(FIRST_CAPACITY, this.runOf.length);
    while (capacity < frames) capacity *= 2;
    const mask = capacity - 1;
    const runOf = new Float64Array(capacity);
    const startOf = new Int32Array(capacity);
    const endOf = new Int32Array(capacity);
    const opensRun = new Uint8Array(capacity);
    const atOf = new Float64Array(capacity);
    for (let seq = this.first; seq < this.next; seq++) {
      const from = seq & this.mask;
      const to = seq & mask;
      runOf[to] = this.runOf[from]!;
      startOf[to] = this.startOf[from]!;
      endOf[to] = this.endOf[from]!;
      opensRun[to] = this.opensRun[from]!;
      atOf[to] = this.atOf[from]!;
    }
    this.runOf = runOf;
    this.startOf = startOf;
    this.endOf = endOf;
    this.opensRun = opensRun;
    this.atOf = atOf;
    this.digests.resize(capacity, this.first, Math.min(this.hashedThrough, this.next - 1));
    this.mask = mask;
  }

  private hashThroughNewest(): void {
    for (let seq = Math.max(this.hashedThrough + 1, this.first); seq < this.next; seq++) {
      const i = seq & this.mask;
      const run = this.run(this.runOf[i]!);
      this.digests.set(seq, frameDigestBytes(run, this.startOf[i]!, this.endOf[i]! - 1));
    }
    this.hashedThrough = this.next - 1;
  }

  private evictOldest(): void {
    if (this.first === this.next) return;
    const seq = this.first++;
    const i = seq & this.mask;
    this.evictedHashed = seq <= this.hashedThrough;
    if (this.evictedHashed) {
      this.evictedDigestBytes.set(this.digests.digestAt(seq));
      this.digests.remove(seq);
    }
    this.evictedSeq = seq;
    this.evictedRun = this.run(this.runOf[i]!);
    this.evictedStart = this.startOf[i]!;
    this.evictedEnd = this.endOf[i]! - 1;
    this.evictedDigest = undefined;
    this.bytes -= this.endOf[i]! - this.startOf[i]!;
    // Runs that no kept frame is in any more go.
    const keep =
      this.first < this.next
        ? this.runOf[this.first & this.mask]!
        : this.firstRun + this.runs.length - this.runHead;
    for (; this.firstRun < keep; this.firstRun++) this.runs[this.runHead++] = undefined;
    if (this.runHead >= COMPACT_AFTER_RUNS && this.runHead * 2 >= this.runs.length) {
      this.runs = this.runs.slice(this.runHead);
      this.runHead = 0;
    }
  }

  private run(n: number): Buffer {
    return this.runs[this.runHead + n - this.firstRun]!;
  }

  private lastEvictedDigest(): string {
    this.evictedDigest ??= this.evictedHashed
      ? Buffer.from(this.evictedDigestBytes).toString('base64url')
      : frameDigest(this.evictedRun!, this.evictedStart, this.evictedEnd);
    return this.evictedDigest;
  }
}
