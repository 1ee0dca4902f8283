import type { Writable } from 'node:stream';

/** Log bytes that may wait for a slow reader (a pipe, a journal) before lines are dropped. */
export const LOG_BACKLOG_BYTES = 1024 * 1024;

/**
 * Writes log lines to a stream without ever letting them pile up in the process: while more than
 * `limit` bytes wait for the reader, lines are dropped and counted, and once it has caught up
 * (half the limit) a line says how many were lost (`event=log-dropped count=N`).
 */
export class LogSink {
  private dropped = 0;

  constructor(
    private readonly stream: Writable,
    private readonly droppedLine: (count: number) => string,
    private readonly limit = LOG_BACKLOG_BYTES,
  ) {
    stream.on('drain', () => this.tellDropped());
  }

  get droppedLines(): number {
    return this.dropped;
  }

  write(line: string): void {
    if (this.dropped > 0) this.tellDropped();
    if (this.stream.writableLength > this.limit) {
      this.dropped++;
      return;
    }
    this.stream.write(line);
  }

  private tellDropped(): void {
    if (this.dropped === 0 || this.stream.writableLength > this.limit / 2) return;
    const count = this.dropped;
    this.dropped = 0;
    this.stream.write(this.droppedLine(count));
  }
}
