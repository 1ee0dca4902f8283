import { connect, type Socket } from 'node:net';
import { tokenDigest } from '../../../src/protocol/frameDigest.ts';
import { type HistoryOutcome, NO_DIGEST, parseNotice, request } from '../../../src/protocol/notice.ts';
import { eventually } from '../../support/eventually.ts';
import { readShapedToken, type ShapedToken } from './shapedToken.ts';

/** One history answer as a connection received it. */
export interface Answer {
  /** What `#history-end` said was sent, and what came between it and `#history-start`. */
  readonly sent: number;
  readonly received: number;
  readonly outcome: HistoryOutcome;
}

interface Frame {
  readonly line: string;
  readonly token: ShapedToken;
}

/**
 * A raw client that keeps the room's frames across reconnections the way docs/protocol.md tells a
 * client to: it resumes from the newest frame it has, holds live frames that come before a
 * history answer's end and puts them after it, and forgets what a connection held back if that
 * connection drops before the answer ends. It does not send.
 *
 * It checks what it has, all connections together, as it goes: per sender, shaped tokens must
 * follow each other (nothing lost, nothing twice, in order). `first` and `next` say where each
 * sender's run starts and ends.
 */
export class ResumingReader {
  /** The epoch of the hub it last had an answer (or a hello) from. */
  epoch: string | undefined;
  /** Hub ids of its connections, first to last. */
  readonly ids: number[] = [];
  readonly answers: Answer[] = [];
  /** Per sender: the first seq it has, and the next one it expects. */
  readonly first = new Map<number, number>();
  readonly next = new Map<number, number>();
  readonly problems: string[] = [];
  /** Frames it has from history answers, and live. */
  fromHistory = 0;
  live = 0;
  /** `#bye` reasons and `#error` notices, the only notices worth keeping here. */
  readonly complaints: string[] = [];
  /** The newest frame it has, as a line or a digest: where it resumes from. */
  private point: { line: string } | { digest: string } = { digest: NO_DIGEST };
  private connection: Connection | undefined;

  /** Its resume point: the digest of the newest frame it has, or `-`. */
  get resumePoint(): string {
    if ('digest' in this.point) return this.point.digest;
    // Hashed only when asked for: a reader at 2,000 frames/s needs one digest per reconnection.
    this.point = { digest: tokenDigest(this.point.line) };
    return this.point.digest;
  }

  get connected(): boolean {
    return this.connection !== undefined && !this.connection.closed;
  }

  /** Whether the current connection has had the answer it asked for (or asked for none). */
  get settled(): boolean {
    return this.connection !== undefined && this.connection.state === 'live';
  }

  countFrom(sender: number): number {
    return (this.next.get(sender) ?? 0) - (this.first.get(sender) ?? 0);
  }

  /** Connects; `ask` is the request it sends on `#hello`, if any. Resolves on `#hello`. */
  connect(port: number, ask?: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host: '127.0.0.1', port });
      socket.once('error', reject);
      socket.once('connect', () => {
        socket.off('error', reject);
        this.connection = new Connection(this, socket, ask, resolve);
      });
    });
  }

  /** Connects again and asks for every frame after its resume point. */
  resume(port: number): Promise<void> {
    if (this.epoch === undefined) throw new Error('a reader that never had a hello cannot resume');
    return this.connect(port, request.resume(this.epoch, this.resumePoint));
  }

  /** Drops the connection as a lost network would (`reset`: with an RST). */
  drop(reset = false): void {
    const socket = this.connection?.socket;
    if (socket === undefined) return;
    if (reset) socket.resetAndDestroy();
    else socket.destroy();
    this.connection!.close();
  }

  async waitForAnswer(count = this.answers.length + 1, timeoutMs = 10_000): Promise<Answer> {
    return eventually(
      () => this.answers[count - 1],
      () => `history answer ${count}; problems ${this.problems.slice(0, 5)}; ${this.complaints}`,
      timeoutMs,
    );
  }

  /** Per sender, it has `seq` 0 … `counts.get(sender) - 1`, or it has a problem. */
  async waitForAll(counts: ReadonlyMap<number, number>, timeoutMs = 10_000): Promise<void> {
    await eventually(
      () =>
        this.problems.length > 0 ||
        [...counts].every(([sender, count]) => (this.next.get(sender) ?? 0) >= count),
      () =>
        `every frame: have ${[...counts.keys()].map((s) => `${s}:${this.first.get(s)}..${(this.next.get(s) ?? 0) - 1}`).join(' ')} of ${[...counts].map(([s, n]) => `${s}:0..${n - 1}`).join(' ')}`,
      timeoutMs,
    );
  }

  /** @internal: a connection's hello. */
  hello(id: number, epoch: string | undefined, last: string | undefined, asking: boolean): void {
    this.ids.push(id);
    // Without a request, everything from here on is live and newer than `last`.
    if (!asking) this.welcomed(epoch, last);
  }

  /** @internal: a connection's answer ended: its frames, then the live ones held back. */
  answered(
    epoch: string | undefined,
    last: string | undefined,
    answer: Frame[],
    held: Frame[],
    end: Answer,
  ): void {
    this.answers.push(end);
    for (const frame of answer) this.take(frame, true);
    // The answer ends at the hello's `last`; a cut or empty answer does not change that.
    this.welcomed(epoch, last);
    for (const frame of held) this.take(frame, false);
  }

  /** @internal: a live frame after the answer (or with none asked for). */
  take(frame: Frame, fromHistory: boolean): void {
    if (fromHistory) this.fromHistory++;
    else this.live++;
    this.point = { line: frame.line };
    const { sender, seq } = frame.token;
    const expected = this.next.get(sender);
    if (expected === undefined) this.first.set(sender, seq);
    else if (seq !== expected && this.problems.length < 20)
      this.problems.push(
        `from ${sender}: got ${seq}${fromHistory ? ' (history)' : ''}, expected ${expected} (${seq < expected ? 'twice or out of order' : 'lost'})`,
      );
    this.next.set(sender, seq + 1);
  }

  /** @internal */
  complain(text: string): void {
    if (this.complaints.length < 20) this.complaints.push(text);
  }

  private welcomed(epoch: string | undefined, last: string | undefined): void {
    this.epoch = epoch;
    this.point = { digest: last ?? NO_DIGEST };
  }
}

/** One connection of a ResumingReader. */
class Connection {
  /** `hello`: before `#hello`; `asked`: waiting for the answer's end; `live`: after it. */
  state: 'hello' | 'asked' | 'live' = 'hello';
  closed = false;
  private carry = '';
  private inAnswer = false;
  private answer: Frame[] = [];
  private held: Frame[] = [];
  private epoch: string | undefined;
  private last: string | undefined;

  constructor(
    private readonly reader: ResumingReader,
    readonly socket: Socket,
    private readonly ask: string | undefined,
    private readonly onHello: () => void,
  ) {
    socket.setEncoding('latin1');
    socket.on('data', (text: string) => this.receive(text));
    socket.on('error', () => {});
    socket.on('close', () => this.close());
  }

  /** Gone: what it held back for an answer that never ended is not the reader's. */
  close(): void {
    this.closed = true;
    this.answer = [];
    this.held = [];
  }

  private receive(text: string): void {
    if (this.closed) return;
    const lines = (this.carry + text).split('\n');
    this.carry = lines.pop()!;
    for (const line of lines) {
      if (line.charCodeAt(0) === 0x23) this.notice(line);
      else this.frame(line);
    }
  }

  private notice(line: string): void {
    const parsed = parseNotice(line);
    switch (parsed.kind) {
      case 'hello':
        this.epoch = parsed.epoch;
        this.last = parsed.last;
        this.reader.hello(parsed.peer, parsed.epoch, parsed.last, this.ask !== undefined);
        if (this.ask === undefined) this.state = 'live';
        else {
          this.state = 'asked';
          this.socket.write(`${this.ask}\n`);
        }
        this.onHello();
        return;
      case 'history-start':
        if (this.state !== 'asked' || this.inAnswer) this.reader.complain(`unexpected ${line}`);
        this.inAnswer = true;
        return;
      case 'history-end': {
        if (!this.inAnswer) this.reader.complain(`unexpected ${line}`);
        const end = { sent: parsed.sent, received: this.answer.length, outcome: parsed.outcome };
        const [answer, held] = [this.answer, this.held];
        this.answer = [];
        this.held = [];
        this.inAnswer = false;
        this.state = 'live';
        this.reader.answered(this.epoch, this.last, answer, held, end);
        return;
      }
      case 'ping':
        this.socket.write('#pong\n');
        return;
      case 'error':
      case 'bye':
        this.reader.complain(line);
        return;
      default:
        return;
    }
  }

  private frame(line: string): void {
    const token = readShapedToken(line);
    if (token === undefined) {
      this.reader.complain(`not a token: ${JSON.stringify(line.slice(0, 40))}`);
      return;
    }
    const frame = { line, token };
    if (this.inAnswer) this.answer.push(frame);
    else if (this.state === 'asked') this.held.push(frame);
    else if (this.state === 'live') this.reader.take(frame, false);
    else this.reader.complain('a frame before #hello');
  }
}
