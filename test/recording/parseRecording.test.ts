import { describe, expect, it } from 'vitest';
import { parseRecording } from '../../src/recording/parseRecording.ts';
import { HEADER, historyRecordingText, RECORDED_EPOCH, recordingText, TOKEN_A } from './recordingText.ts';

function problem(text: string): string {
  const parsed = parseRecording(text);
  if (parsed.ok) throw new Error('expected a problem');
  return parsed.error.message;
}

describe('parseRecording', () => {
  it('reads the header and every record, each with its line number', () => {
    const parsed = parseRecording(
      recordingText(
        { type: 'join', t: 0, peer: 1, remote: '127.0.0.1:5000' },
        { type: 'frame', t: 1.5, peer: 1, data: TOKEN_A },
        { type: 'leave', t: 2, peer: 1, reason: 'quit' },
      ),
    );
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    expect(parsed.recording.header.hub.framing).toBe('line');
    expect(parsed.recording.entries.map((e) => [e.line, e.record.type])).toEqual([
      [2, 'join'],
      [3, 'frame'],
      [4, 'leave'],
    ]);
    expect(parsed.recording.warnings).toEqual([]);
  });

  it('names the line and the zod problem of a bad record', () => {
    expect(problem(recordingText({ type: 'join', t: 0, peer: 'one', remote: 'x' }))).toBe(
      'line 2: join: peer: Invalid input: expected number, received string',
    );
    expect(problem(recordingText({ type: 'leave', t: 0, peer: 1 }))).toMatch(/^line 2: leave: reason: /);
    expect(problem(recordingText({ type: 'join', t: -1, peer: 1, remote: 'x' }))).toMatch(
      /^line 2: join: t: /,
    );
    expect(problem(recordingText({ type: 'join', t: 0, peer: 1, remote: 'x', extra: 1 }))).toBe(
      'line 2: join: Unrecognized key: "extra"',
    );
  });

  it('refuses a frame that is not a token, saying why (frames are ciphertext only)', () => {
    expect(problem(recordingText({ type: 'frame', t: 0, peer: 1, data: 'hello there' }))).toBe(
      'line 2: frame: data: not a Fernet token: characters outside base64url',
    );
  });

  it('reads the history a hub kept and its epoch, and recordings made before hubs kept any', () => {
    const parsed = parseRecording(historyRecordingText({ frames: 20 }, { type: 'tick', t: 1 }));
    expect(parsed.ok && parsed.recording.header.hub.history).toEqual({
      frames: 20,
      seconds: 3600,
      bytes: 16 * 1024 * 1024,
      epoch: RECORDED_EPOCH,
    });
    const old = parseRecording(recordingText({ type: 'tick', t: 1 }));
    expect(old.ok && old.recording.header.hub.history).toBeUndefined();
    expect(problem(historyRecordingText({}).replace(RECORDED_EPOCH, 'not an epoch'))).toMatch(
      /^line 1: bad header: hub\.history\.epoch: /,
    );
  });

  it('reads a request for history, and refuses one the hub would not have understood', () => {
    const parsed = parseRecording(
      recordingText(
        { type: 'recall', t: 1, peer: 2, request: '#history 50' },
        { type: 'recall', t: 2, peer: 3, request: `#resume ${RECORDED_EPOCH} -` },
      ),
    );
    expect(parsed.ok && parsed.recording.entries.map((e) => e.record.type)).toEqual(['recall', 'recall']);
    expect(problem(recordingText({ type: 'recall', t: 1, peer: 2, request: '#history lots' }))).toBe(
      'line 2: recall: request: not a history request (#history takes one count of frames, e.g. #history 50)',
    );
    expect(problem(recordingText({ type: 'recall', t: 1, peer: 2, request: '#nick bob' }))).toBe(
      'line 2: recall: request: not a history request',
    );
  });

  it('names an unknown record type and lists the known ones', () => {
    expect(problem(recordingText({ type: 'fram', t: 0 }))).toMatch(
      /^line 2: unknown record type "fram" \(known: join, frame, reject, .*\)$/,
    );
  });

  it('needs the header first, in this format and version', () => {
    expect(problem('{"type":"join","t":0,"peer":1,"remote":"x"}\n')).toMatch(
      /^line 1: the first line must be the header/,
    );
    expect(problem(`${HEADER.replace('fernet-chat-recording', 'other')}\n`)).toMatch(
      /^line 1: bad header: format: /,
    );
    expect(problem(`${HEADER.replace('"version":1', '"version":2')}\n`)).toBe(
      'line 1: recording format version 2 is not one this replay reads (1)',
    );
    expect(problem('')).toBe('line 1: the recording is empty: no header');
  });

  it('says when a line is not JSON', () => {
    expect(problem(`${HEADER}\n{"type":"join",\n`)).toMatch(/^line 2: not JSON \(/);
  });

  it('refuses time going backwards', () => {
    expect(problem(recordingText({ type: 'tick', t: 5 }, { type: 'tick', t: 4 }))).toBe(
      'line 3: t 4 is earlier than the line before it (5)',
    );
  });

  it('skips blank lines, and leaves out an unfinished last line with a warning', () => {
    const text = `${recordingText({ type: 'tick', t: 1 })}\n{"type":"join","t":2,"pe`;
    const parsed = parseRecording(text);
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    expect(parsed.recording.entries).toHaveLength(1);
    expect(parsed.recording.warnings).toEqual([
      'line 4 is unfinished (no LF at the end of the file: the hub was stopped while writing it?) and was left out',
    ]);
  });

  it('takes a complete last line even without its LF', () => {
    const parsed = parseRecording(recordingText({ type: 'tick', t: 1 }).trimEnd());
    expect(parsed.ok && parsed.recording.entries.length).toBe(1);
  });
});
