import type { HubEffect, HubEvent, LogRecord } from '../streams/hubEvent.ts';
import { openRecordingFile, type RecordingFileError, type RecordingSink } from './recordingFile.ts';
import type { RecordedHub } from './recordingSchema.ts';
import { RECORDING_FORMAT, RECORDING_VERSION } from './recordingSchema.ts';
import { isRecordedNotice, recordLine, recordsOf } from './recordsOf.ts';

export const RECORDER_DEFAULTS = {
  /** Records waiting for the disk; beyond this they are dropped (and counted), never waited for. */
  maxBufferBytes: 8 * 1024 * 1024,
  /** Most bytes handed to one write call. */
  maxBatchBytes: 256 * 1024,
} as const;

export interface HubRecorderOptions {
  readonly maxBufferBytes?: number;
  readonly maxBatchBytes?: number;
  /** Milliseconds since the recording started; defaults to performance.now() since construction. */
  readonly clock?: () => number;
}

/** A record waiting for the disk: the event itself, formatted only when written. */
type Pending = { readonly t: number; readonly bytes: number } & (
  { readonly event: HubEvent } | { readonly record: { readonly type: string } }
);

/** Estimated bytes of a record of anything but frames. */
const RECORD_BYTES = 128;
/** Estimated bytes a frame's record adds to the frame itself. */
const FRAME_OVERHEAD_BYTES = 48;

/**
 * Records what the hub actor handles without ever holding it up: `event` and `effect` only
 * queue a reference (no formatting, no I/O) in a buffer bounded in bytes; the buffer is drained
 * asynchronously, one batch of whole lines per write call. When the disk cannot keep up and
 * the buffer is full, records are dropped and counted, the hub log says so once, and a
 * `dropped` record marks the gap as soon as there is room again.
 */
export class HubRecorder {
  private queue: Pending[] = [];
  private head = 0;
  private queuedBytes = 0;
  private inFlightBytes = 0;
  private unreported = 0;
  private dropped = 0;
  private written = 0;
  private writing = false;
  private closing: Promise<void> | undefined;
  private idle: (() => void) | undefined;
  private failed = false;
  private readonly maxBufferBytes: number;
  private readonly maxBatchBytes: number;
  private readonly clock: () => number;

  constructor(
    private readonly sink: RecordingSink,
    private readonly log: (record: LogRecord) => void,
    options: HubRecorderOptions = {},
  ) {
    this.maxBufferBytes = options.maxBufferBytes ?? RECORDER_DEFAULTS.maxBufferBytes;
    this.maxBatchBytes = options.maxBatchBytes ?? RECORDER_DEFAULTS.maxBatchBytes;
    if (options.clock) {
      this.clock = options.clock;
    } else {
      const start = performance.now();
      this.clock = () => Math.round((performance.now() - start) * 1000) / 1000;
    }
  }

  /** For `tap` on the events going into the hub actor. */
  readonly event = (event: HubEvent): void => {
    const bytes =
      event.type === 'frames' ? event.run.data.length + FRAME_OVERHEAD_BYTES * event.run.count : RECORD_BYTES;
    this.push({ t: this.clock(), bytes, event });
  };

  /** For `tap` on the hub actor's effects: keeps the notices that say something went wrong. */
  readonly effect = (effect: HubEffect): void => {
    if (!isRecordedNotice(effect)) return;
    const record = { type: 'notice', peer: effect.peer, text: effect.text };
    this.push({ t: this.clock(), bytes: RECORD_BYTES, record });
  };

  /** Records lost so far. */
  get droppedRecords(): number {
    return this.dropped;
  }

  /** Writes what is queued (and a last `dropped` record if needed), then closes the file. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      await this.drained();
      if (this.unreported > 0 && !this.failed) {
        const record = { type: 'dropped', count: this.unreported };
        await this.writeBatch([{ t: this.clock(), bytes: RECORD_BYTES, record }]);
        this.unreported = 0;
      }
      await this.sink.close();
      this.log({ event: 'record-closed', records: this.written, dropped: this.dropped });
    })();
    return this.closing;
  }

  private push(pending: Pending): void {
    if (this.closing !== undefined || this.failed) return;
    const extra = this.unreported > 0 ? RECORD_BYTES : 0;
    if (this.queuedBytes + this.inFlightBytes + pending.bytes + extra > this.maxBufferBytes) {
      if (this.dropped === 0)
        this.log({
          event: 'record-dropping',
          detail: 'the recording file cannot keep up; records are dropped and each gap is marked',
        });
      this.dropped++;
      this.unreported++;
      return;
    }
    if (this.unreported > 0) {
      const record = { type: 'dropped', count: this.unreported };
      this.queue.push({ t: pending.t, bytes: RECORD_BYTES, record });
      this.queuedBytes += RECORD_BYTES;
      this.unreported = 0;
    }
    this.queue.push(pending);
    this.queuedBytes += pending.bytes;
    if (!this.writing) {
      this.writing = true;
      setImmediate(this.drain);
    }
  }

  private readonly drain = (): void => {
    if (this.head >= this.queue.length || this.failed) {
      this.writing = false;
      this.idle?.();
      return;
    }
    const batch: Pending[] = [];
    let bytes = 0;
    while (this.head < this.queue.length && bytes < this.maxBatchBytes) {
      const pending = this.queue[this.head++]!;
      batch.push(pending);
      bytes += pending.bytes;
    }
    // Let go of what has been taken, so the written frames' Buffers can be collected.
    if (this.head === this.queue.length || this.head > 1024) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
    this.queuedBytes -= bytes;
    this.inFlightBytes = bytes;
    void this.writeBatch(batch).then(() => {
      this.inFlightBytes = 0;
      setImmediate(this.drain);
    });
  };

  private async writeBatch(batch: readonly Pending[]): Promise<void> {
    let text = '';
    let count = 0;
    for (const pending of batch) {
      if ('event' in pending) {
        for (const record of recordsOf(pending.event, pending.t)) {
          text += recordLine(record);
          count++;
        }
      } else {
        const { type, ...fields } = pending.record;
        text += recordLine({ type, t: pending.t, ...fields });
        count++;
      }
    }
    if (text === '') return;
    try {
      await this.sink.write(Buffer.from(text, 'utf8'));
      this.written += count;
    } catch (error) {
      this.failed = true;
      this.queue = [];
      this.head = 0;
      this.queuedBytes = 0;
      this.log({
        event: 'record-failed',
        code: (error as NodeJS.ErrnoException).code ?? 'error',
        detail: `recording stopped: ${(error as Error).message}`,
      });
    }
  }

  private drained(): Promise<void> {
    if (!this.writing) return Promise.resolve();
    return new Promise((resolve) => {
      this.idle = resolve;
    });
  }
}

export type OpenedHubRecorder =
  | { readonly ok: true; readonly recorder: HubRecorder; readonly startedAt: string }
  | { readonly ok: false; readonly error: RecordingFileError };

/** Creates the recording file with its header and a recorder that writes to it. */
export function openHubRecorder(
  path: string,
  hub: RecordedHub,
  log: (record: LogRecord) => void,
  options: HubRecorderOptions = {},
): OpenedHubRecorder {
  const startedAt = new Date().toISOString();
  const header = { type: 'header', format: RECORDING_FORMAT, version: RECORDING_VERSION, startedAt, hub };
  const opened = openRecordingFile(path, recordLine(header));
  if (!opened.ok) return opened;
  log({ event: 'recording', file: path });
  return { ok: true, recorder: new HubRecorder(opened.sink, log, options), startedAt };
}
