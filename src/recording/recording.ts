import type { EventRecord, HeaderRecord } from './recordingSchema.ts';

/** One record of a recording, with the line it came from (1-based), for messages. */
export interface RecordingEntry {
  readonly line: number;
  readonly record: EventRecord;
}

/** A parsed, validated recording. */
export interface Recording {
  readonly header: HeaderRecord;
  readonly entries: readonly RecordingEntry[];
  /** Problems that did not stop the parse, e.g. an unfinished last line; one line each. */
  readonly warnings: readonly string[];
}
