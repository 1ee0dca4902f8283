/**
 * The soak's resumers (issue 12): readers that drop their connection at random moments, several
 * times each (half of the drops with an RST), come back after a moment with `#resume`, and must
 * end with every frame of the run from their first join on, exactly once: what they got live plus
 * what the resume answers brought. Every answer must say `complete`. They do not send.
 */
import { ResumingReader } from '../../test/robustness/support/resumingReader.ts';

/** What the soak knows of a sender (its Client). */
export interface SenderRecord {
  /** Its hub id, which is the sender id in its tokens; 0 until its `#hello`. */
  readonly id: number;
  readonly nextSeq: number;
  /** It left with an RST: the frames it had in flight may be lost. */
  readonly reset: boolean;
  /** Per peer it saw join: its own next seq at that moment. */
  readonly seqWhenJoined: ReadonlyMap<number, number>;
}

export interface ResumerOptions {
  readonly count: number;
  /** Mean time between two drops of one reader (exponential). */
  readonly dropEveryMs: number;
  /** Longest time away; each absence is 20 ms up to this. */
  readonly awayMs: number;
}

export interface ResumerFigures {
  readonly failures: string[];
  /** Frames the resumers had to end with, and what they got from answers and live. */
  readonly owed: number;
  readonly fromHistory: number;
  readonly live: number;
  readonly answers: number;
  readonly gaps: number;
  /** Frames lost, twice or out of order, as the readers saw them. */
  readonly orderProblems: number;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, Math.max(0, ms)));

/**
 * The frames of `s` that `r` must have: from `from` on, to s's last frame. Undefined: none (s had
 * gone before r first joined, or sent nothing). Hub ids grow in the order peers join, so a
 * sender with a higher id than r's first joined after it, and r must have all of its frames.
 */
function owed(r: ResumingReader, s: SenderRecord): { from: number; atMost?: number } | undefined {
  const firstId = r.ids[0];
  if (firstId === undefined || s.id === 0 || s.nextSeq === 0) return undefined;
  if (s.id > firstId) return { from: 0, atMost: 0 };
  // There before r: r's first frame from s is at latest the one s sent when it saw r join.
  const joinedAt = s.seqWhenJoined.get(firstId);
  if (joinedAt !== undefined && joinedAt < s.nextSeq)
    return { from: r.first.get(s.id) ?? joinedAt, atMost: joinedAt };
  const first = r.first.get(s.id);
  return first === undefined ? undefined : { from: first };
}

export class Resumers {
  readonly readers: ResumingReader[] = [];
  drops = 0;
  resets = 0;
  private readonly failures: string[] = [];
  private readonly lives: Promise<void>[] = [];
  private endsAt = 0;

  constructor(
    private readonly port: number,
    private readonly options: ResumerOptions,
  ) {}

  /**
   * Starts them for a load of `seconds`: half join at once, the others at a random moment of
   * its first half, so that "from their first join on" does not always mean from the start.
   */
  start(seconds: number): void {
    this.endsAt = performance.now() + seconds * 1000;
    for (let i = 0; i < this.options.count; i++) {
      const joinAfter = i % 2 === 0 ? 0 : Math.random() * seconds * 500;
      this.lives.push(
        this.live(joinAfter).catch((error: unknown) => {
          this.failures.push(`a resumer failed: ${error instanceof Error ? error.message : String(error)}`);
        }),
      );
    }
  }

  /** Resolves once the load is over and every reader is back and has had its answer. */
  async settled(): Promise<void> {
    await Promise.all(this.lives);
    const started = performance.now();
    while (this.readers.some((r) => !r.settled) && performance.now() - started < 10_000) await sleep(50);
  }

  private async live(joinAfterMs: number): Promise<void> {
    await sleep(joinAfterMs);
    if (performance.now() >= this.endsAt) return;
    const reader = new ResumingReader();
    this.readers.push(reader);
    await reader.connect(this.port);
    for (;;) {
      const gap = -Math.log(1 - Math.random()) * this.options.dropEveryMs;
      const left = this.endsAt - performance.now();
      await sleep(Math.min(gap, left));
      if (gap >= left) return;
      const reset = Math.random() < 0.5;
      reader.drop(reset);
      this.drops++;
      if (reset) this.resets++;
      // Away for a moment; at the end of the load, every reader comes back.
      await sleep(20 + Math.random() * (this.options.awayMs - 20));
      await reader.resume(this.port);
    }
  }

  /** Frames still owed to the readers: 0 once everything has arrived. */
  missing(senders: readonly SenderRecord[]): number {
    let count = 0;
    for (const r of this.readers)
      for (const s of senders) {
        const range = owed(r, s);
        if (range !== undefined && !s.reset)
          count += Math.max(0, s.nextSeq - (r.next.get(s.id) ?? range.from));
      }
    return count;
  }

  check(senders: readonly SenderRecord[]): ResumerFigures {
    const failures = [...this.failures];
    let owedFrames = 0;
    let orderProblems = 0;
    for (const r of this.readers) {
      const who = `resumer ${r.ids.join('→')}`;
      orderProblems += r.problems.length;
      for (const problem of r.problems) failures.push(`${who}: ${problem}`);
      for (const complaint of r.complaints) failures.push(`${who}: ${complaint}`);
      if (!r.connected) failures.push(`${who}: not connected at the end`);
      const gaps = r.answers.filter((a) => a.outcome === 'gap').length;
      if (gaps > 0) failures.push(`${who}: ${gaps} of its ${r.answers.length} resumes had a gap`);
      for (const a of r.answers)
        if (a.sent !== a.received)
          failures.push(`${who}: an answer said ${a.sent} frames and held ${a.received}`);
      for (const s of senders) {
        const range = owed(r, s);
        if (range === undefined) continue;
        const first = r.first.get(s.id);
        if (first !== undefined && range.atMost !== undefined && first > range.atMost)
          failures.push(`${who}: its first frame from ${s.id} is ${first}, not at most ${range.atMost}`);
        const got = r.next.get(s.id) ?? range.from;
        owedFrames += (s.reset ? got : s.nextSeq) - range.from;
        if (!s.reset && got !== s.nextSeq)
          failures.push(`${who} has ${s.id}'s frames ${range.from}..${got - 1}, not to ${s.nextSeq - 1}`);
      }
    }
    return {
      failures,
      owed: owedFrames,
      fromHistory: this.readers.reduce((n, r) => n + r.fromHistory, 0),
      live: this.readers.reduce((n, r) => n + r.live, 0),
      answers: this.readers.reduce((n, r) => n + r.answers.length, 0),
      gaps: this.readers.reduce((n, r) => n + r.answers.filter((a) => a.outcome === 'gap').length, 0),
      orderProblems,
    };
  }

  destroy(): void {
    for (const reader of this.readers) reader.drop();
  }
}
