import type { z } from 'zod';
import type { Recording, RecordingEntry } from './recording.ts';
import {
  EVENT_RECORD_TYPES,
  eventRecordSchema,
  type HeaderRecord,
  headerRecordSchema,
  RECORDING_FORMAT,
  RECORDING_VERSION,
} from './recordingSchema.ts';

export interface RecordingProblem {
  readonly code: 'malformed' | 'unsupported-version';
  /** 1-based line of the file. */
  readonly line: number;
  /** One line, e.g. `line 3: frame.peer: Invalid input: expected number, received string`. */
  readonly message: string;
}

export type ParsedRecording =
  | { readonly ok: true; readonly recording: Recording }
  | { readonly ok: false; readonly error: RecordingProblem };

/**
 * Parses and validates a recording. The first problem stops it, named by line. Blank lines are
 * skipped. A last line without its LF that does not parse is taken for one the hub was writing
 * when it was killed: it is left out with a warning.
 */
export function parseRecording(text: string): ParsedRecording {
  const lines = text.split('\n');
  const unfinished = lines.pop() ?? '';
  const fail = (line: number, message: string, code: RecordingProblem['code'] = 'malformed') =>
    ({ ok: false, error: { code, line, message: `line ${line}: ${message}` } }) as const;

  let header: HeaderRecord | undefined;
  const entries: RecordingEntry[] = [];
  const warnings: string[] = [];
  let lastT = 0;

  const take = (raw: string, line: number): RecordingProblem | undefined => {
    let json: unknown;
    try {
      json = JSON.parse(raw);
    } catch (error) {
      return fail(line, `not JSON (${(error as Error).message})`).error;
    }
    if (header === undefined) {
      const parsed = headerRecordSchema.safeParse(json);
      if (!parsed.success) {
        const isHeader = (json as { type?: unknown } | null)?.type === 'header';
        return fail(
          line,
          isHeader
            ? `bad header: ${describeIssue(parsed.error)}`
            : `the first line must be the header ({"type":"header","format":"${RECORDING_FORMAT}",…})`,
        ).error;
      }
      if (parsed.data.version !== RECORDING_VERSION) {
        return fail(
          line,
          `recording format version ${parsed.data.version} is not one this replay reads (${RECORDING_VERSION})`,
          'unsupported-version',
        ).error;
      }
      header = parsed.data;
      return undefined;
    }
    const parsed = eventRecordSchema.safeParse(json);
    if (!parsed.success) {
      const type = (json as { type?: unknown } | null)?.type;
      if (typeof type !== 'string' || !(EVENT_RECORD_TYPES as readonly string[]).includes(type)) {
        return fail(
          line,
          `unknown record type ${JSON.stringify(type)} (known: ${EVENT_RECORD_TYPES.join(', ')})`,
        ).error;
      }
      return fail(line, `${type}: ${describeIssue(parsed.error)}`).error;
    }
    const record = parsed.data;
    if (record.t < lastT)
      return fail(line, `t ${record.t} is earlier than the line before it (${lastT})`).error;
    lastT = record.t;
    entries.push({ line, record });
    return undefined;
  };

  for (const [index, raw] of lines.entries()) {
    if (raw.trim() === '') continue;
    const problem = take(raw, index + 1);
    if (problem) return { ok: false, error: problem };
  }
  if (unfinished.trim() !== '') {
    const line = lines.length + 1;
    const problem = take(unfinished, line);
    if (problem)
      warnings.push(
        `line ${line} is unfinished (no LF at the end of the file: the hub was stopped while writing it?) and was left out`,
      );
  }
  if (header === undefined) return fail(1, 'the recording is empty: no header');
  return { ok: true, recording: { header, entries, warnings } };
}

function describeIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  if (issue === undefined) return 'invalid';
  const path = issue.path.join('.');
  return path === '' ? issue.message : `${path}: ${issue.message}`;
}
