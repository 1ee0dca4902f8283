import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseRecording } from '../../src/recording/parseRecording.ts';
import { fingerprintReader } from '../../src/replay/frameReader.ts';
import { renderTranscript } from '../../src/replay/transcript.ts';
import { expandReceived, virtualReplay } from '../../src/replay/virtualReplay.ts';
import { recordingText } from '../recording/recordingText.ts';
import { tempDir } from '../support/testKey.ts';
import { runReplayBin } from './replayBin.ts';

// A recording of a room filling up, one join a millisecond, from a hub that announced every
// join (no presenceLimit, as before that setting): the hub sent N(N-1)/2 `#joined` notices.
// Held and written one by one, 5,000 joins took 58 s, 3.4 GB and a 362 MB transcript.
const JOINS = 5_000;
const joins = (n: number) =>
  recordingText(
    ...Array.from({ length: n }, (_, i) => ({
      type: 'join',
      t: i + 1,
      peer: i + 1,
      remote: `127.0.0.1:${i}`,
    })),
  );

function replayed(n: number) {
  const parsed = parseRecording(joins(n));
  if (!parsed.ok) throw new Error(parsed.error.message);
  return { header: parsed.recording.header, ...virtualReplay(parsed.recording) };
}

/** A connection's lines of the transcript: from its `==` line to the blank line after it. */
function section(transcript: string, peer: number): string[] {
  const lines = transcript.split('\n');
  const start = lines.indexOf(lines.find((line) => line.startsWith(`== connection ${peer} `))!);
  const end = lines.indexOf('', start);
  return lines.slice(start + 1, end === -1 ? undefined : end);
}

describe(`a recording of ${JOINS} joins`, () => {
  it('replays in work that grows with the joins, not with their square, and loses no notice', () => {
    const result = replayed(JOINS);
    const items = result.connections.reduce((sum, c) => sum + c.received.length, 0);
    // Each connection: its #hello and one run of the #joined notices that followed it.
    expect(items).toBeLessThanOrEqual(2 * JOINS);
    const notices = result.connections.reduce(
      (sum, c) =>
        sum + c.received.reduce((n, item) => n + (item.kind === 'presence' ? item.end - item.start : 0), 0),
      0,
    );
    expect(notices).toBe((JOINS * (JOINS - 1)) / 2);

    const transcript = renderTranscript(result, () => fingerprintReader);
    const lines = transcript.split('\n').length - 1;
    console.log(
      `${JOINS} joins: ${items} items held for ${notices} notices; transcript ${lines} lines, ${transcript.length} bytes`,
    );
    // A title line, then per connection: a blank line, its `==` line, #hello and at most 3 more.
    expect(lines).toBeLessThanOrEqual(1 + 6 * JOINS);
    expect(section(transcript, 1)).toEqual([
      '  +0.001s  #hello fernet-chat/1 1 1',
      '  +0.002s  #joined 2 2',
      `  +0.003s  … ${JOINS - 3} more #joined/#left notices, to +4.999s`,
      `  +5.000s  #joined ${JOINS} ${JOINS}`,
    ]);
    expect(section(transcript, JOINS - 3)).toEqual([
      `  +4.997s  #hello fernet-chat/1 ${JOINS - 3} ${JOINS - 3}`,
      `  +4.998s  #joined ${JOINS - 2} ${JOINS - 2}`,
      `  +4.999s  #joined ${JOINS - 1} ${JOINS - 1}`,
      `  +5.000s  #joined ${JOINS} ${JOINS}`,
    ]);
  });

  it('through the bin: exits 0 with a transcript of a few lines per connection', async () => {
    const { dir, cleanup } = tempDir();
    try {
      const file = join(dir, 'joins.jsonl');
      writeFileSync(file, joins(JOINS));
      const run = await runReplayBin([file], 60_000);
      expect(run.exit.code, run.stderr).toBe(0);
      expect(run.stdout.split('\n').length - 1).toBeLessThanOrEqual(1 + 6 * JOINS);
      expect(run.stdout.length).toBeLessThan(2 * 1024 * 1024);
    } finally {
      cleanup();
    }
  }, 90_000);
});

describe('runs of presence notices in a transcript', () => {
  it('are cut short the same way whether held as runs (virtual) or one by one (live)', () => {
    const result = replayed(40);
    const oneByOne = {
      ...result,
      connections: result.connections.map((c) => ({ ...c, received: expandReceived(c.received) })),
    };
    const asRuns = renderTranscript(result, () => fingerprintReader);
    expect(renderTranscript(oneByOne, () => fingerprintReader)).toBe(asRuns);
    // Runs of up to three are shown whole.
    expect(section(asRuns, 37)).toEqual([
      '  +0.037s  #hello fernet-chat/1 37 37',
      '  +0.038s  #joined 38 38',
      '  +0.039s  #joined 39 39',
      '  +0.040s  #joined 40 40',
    ]);
  });
});
