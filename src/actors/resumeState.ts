import { type HistoryOutcome, NO_DIGEST, request } from '../protocol/notice.ts';

/** Where a client resumes (docs/protocol.md): the hub's run, and the last frame of it seen in order. */
interface Position {
  readonly epoch: string;
  /** A frame digest, or `-`: none of this epoch yet. */
  readonly after: string;
}

/** What the hub's `#hello` says about its history; both absent from hubs that keep none. */
export interface HelloHistory {
  readonly epoch?: string;
  readonly last?: string;
}

/**
 * Where a data frame goes: shown as it comes (`live`), kept until the answer's end (`held`, it
 * is newer than the answer), or shown as an earlier line (`earlier`). `full`: no room to hold
 * it; the client stops waiting for the answer, and the frame is live.
 */
export type FrameRoute = 'live' | 'held' | 'earlier' | 'full';

/** A history answer that is over: what to tell the user, and the frames held meanwhile. */
export interface AnswerEnd {
  /** `history` on a first connection, `resume` after a reconnect. */
  readonly asked: 'history' | 'resume';
  /** As the hub said; `unanswered` when the client stopped waiting (`why` says why). */
  readonly outcome: HistoryOutcome | 'unanswered';
  /** Earlier lines shown: our own lines and what we had shown already are not counted. */
  readonly shown: number;
  /** Of those, chat messages (not who joined, left or changed their name): "N messages while you were away". */
  readonly messages: number;
  /** The hub is another run than the one we resumed from: it has restarted. */
  readonly restarted: boolean;
  /** Live frames that came before the answer, to show now, in the order they came. */
  readonly held: readonly string[];
}

/**
 * The client's side of history and resume, without I/O: which request to send when the link
 * comes up, which frames belong to the answer, which are held until it ends, and where the
 * next resume starts.
 *
 * The resume point moves only with frames taken in the room's order: live ones, and those of a
 * resume answer (which come oldest first). Held frames move it when they are shown after the
 * answer; if the connection goes first they are dropped unshown, and the resume brings them
 * again, so a connection lost in the middle of an answer skips nothing.
 */
export class ResumeState {
  private position: Position | undefined;
  private asking:
    | { readonly asked: 'history' | 'resume'; readonly joinedAt: Position; readonly restarted: boolean }
    | undefined;
  private answering = false;
  /**
   * We stopped waiting for an answer on this connection: if it comes after all, its frames are
   * still earlier ones (they must not pass for live), though they no longer move the point.
   */
  private late: 'expected' | 'answering' | undefined;
  private held: string[] = [];
  private heldBytes = 0;
  private shown = 0;
  private messages = 0;

  /**
   * @param historyCount frames to ask for on the first connection (0: none).
   * @param maxHeld live frames held while waiting for an answer, at most, and their bytes.
   */
  constructor(
    private readonly historyCount: number,
    private readonly maxHeld: { readonly frames: number; readonly bytes: number },
  ) {}

  /** Waiting for an answer, or in one. */
  get waiting(): boolean {
    return this.asking !== undefined;
  }

  /**
   * The link is up: the request to send before anything else, if any. A hub without an epoch
   * keeps no history: nothing to ask, and nothing to resume from later.
   */
  connected(hello: HelloHistory, first: boolean): string | undefined {
    this.lost();
    if (hello.epoch === undefined) {
      this.position = undefined;
      return undefined;
    }
    const joinedAt = { epoch: hello.epoch, after: hello.last ?? NO_DIGEST };
    const before = this.position;
    if (before === undefined) {
      // Live frames are newer than `last`: a connection lost before the answer resumes from it.
      this.position = joinedAt;
      if (!first || this.historyCount === 0) return undefined;
      this.asking = { asked: 'history', joinedAt, restarted: false };
      return request.history(this.historyCount);
    }
    // The old position holds until the answer has moved past it.
    this.asking = { asked: 'resume', joinedAt, restarted: before.epoch !== hello.epoch };
    return request.resume(before.epoch, before.after);
  }

  /** A data frame named `digest` came: where it goes. */
  route(frame: string, digest: string): FrameRoute {
    const asking = this.asking;
    if (this.late === 'answering') return 'earlier';
    if (asking === undefined) {
      if (this.position !== undefined) this.position = { epoch: this.position.epoch, after: digest };
      return 'live';
    }
    if (!this.answering) {
      if (this.held.length >= this.maxHeld.frames || this.heldBytes + frame.length > this.maxHeld.bytes)
        return 'full';
      this.held.push(frame);
      this.heldBytes += frame.length;
      return 'held';
    }
    // A resume answer is the room's frames after our point, in order, all of the hub's run.
    if (asking.asked === 'resume') this.position = { epoch: asking.joinedAt.epoch, after: digest };
    return 'earlier';
  }

  /** An earlier line was shown (not a frame dropped as seen already, nor an unreadable one). */
  countShown(message: boolean): void {
    this.shown++;
    if (message) this.messages++;
  }

  /** `#history-start`: the frames up to `#history-end` are the answer. */
  started(): void {
    if (this.asking !== undefined) this.answering = true;
    else if (this.late === 'expected') this.late = 'answering';
  }

  /** `#history-end`; undefined when nothing was asked (a hub's stray notice changes nothing). */
  ended(outcome: HistoryOutcome): AnswerEnd | undefined {
    this.late = undefined;
    return this.finish(outcome);
  }

  /** The answer is not coming (refused, too late, too much held): show what is held. */
  gaveUp(): AnswerEnd | undefined {
    // What follows of an answer already begun is no less earlier; one not begun may still come.
    const late = this.answering ? 'answering' : 'expected';
    const end = this.finish('unanswered');
    if (end !== undefined) this.late = late;
    return end;
  }

  /**
   * The connection is gone. What is held was never shown nor counted in the resume point: the
   * resume brings it again.
   */
  lost(): void {
    this.late = undefined;
    this.clear();
  }

  private clear(): void {
    this.asking = undefined;
    this.answering = false;
    this.held = [];
    this.heldBytes = 0;
    this.shown = 0;
    this.messages = 0;
  }

  private finish(outcome: AnswerEnd['outcome']): AnswerEnd | undefined {
    const asking = this.asking;
    if (asking === undefined) return undefined;
    // Every frame up to the join has been had (or is not coming): live frames are newer.
    this.position = asking.joinedAt;
    const end: AnswerEnd = {
      asked: asking.asked,
      outcome,
      shown: this.shown,
      messages: this.messages,
      restarted: asking.restarted,
      held: this.held,
    };
    this.clear();
    return end;
  }
}
