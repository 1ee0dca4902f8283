import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { tokenDigest } from '../../src/protocol/frameDigest.ts';
import { parseRecording } from '../../src/recording/parseRecording.ts';
import type { EventRecord } from '../../src/recording/recordingSchema.ts';
import { clientFrameReader } from '../../src/replay/frameReader.ts';
import { historyRequests } from '../../src/replay/historyRequests.ts';
import { readReplayKey } from '../../src/replay/replayKey.ts';
import { renderTranscript } from '../../src/replay/transcript.ts';
import { expandReceived, virtualReplay } from '../../src/replay/virtualReplay.ts';
import { tempDir } from '../support/testKey.ts';
import { FIXTURES, fixture, runReplayBin } from './replayBin.ts';

const WARNING = '! unreadable message: not encrypted with any of our keys, or tampered with';

function transcriptOf(text: string, keyFile: string): string {
  const parsed = parseRecording(text);
  if (!parsed.ok) throw new Error(parsed.error.message);
  const ring = readReplayKey(keyFile);
  const result = virtualReplay(parsed.recording);
  const asked = historyRequests(parsed.recording);
  return renderTranscript({ header: parsed.recording.header, ...result }, (peer) =>
    clientFrameReader(ring, 86_400, asked.get(peer)),
  );
}

/**
 * Lines that sum up what other frames told the client: what a history answer amounted to (it
 * counts the earlier lines shown, and an unreadable one is not), and who went without a
 * goodbye (named from what their frames said). An unreadable frame may change them: left out.
 */
const SUMS_UP =
  /^ {2}\+\d+\.\d{3}s {2}\* (---- earlier messages above ----|.* while you were away|some messages may have been missed .*|.* left without a goodbye \(.*\))$/;

/** Changes one character of a token, in its ciphertext, keeping it token-shaped. */
function changeOneByte(token: string, at: number): string {
  return token.slice(0, at) + (token[at] === 'A' ? 'B' : 'A') + token.slice(at + 1);
}

/**
 * Not forged-name: there a frame's lines depend on the frames before it (the first frame of a
 * new key for a name brings the warning), so one frame made unreadable moves a warning to the
 * next. Its tampered and forged frames are what the session itself is about.
 */
const TAMPERED = FIXTURES.filter((name) => name !== 'forged-name');

describe('one byte changed in a recorded token', () => {
  describe.each(TAMPERED)('%s', (name) => {
    const files = fixture(name);
    const text = readFileSync(files.recording, 'utf8');
    const original = readFileSync(files.transcript, 'utf8').split('\n');
    const lines = text.split('\n');
    const parsed = parseRecording(text);
    if (!parsed.ok) throw new Error(parsed.error.message);
    const replay = virtualReplay(parsed.recording);
    const ring = readReplayKey(files.key);
    const readable = (token: string) => {
      try {
        ring.open(token);
        return true;
      } catch {
        return false;
      }
    };

    const resumedFrom = new Set(
      parsed.recording.entries.flatMap(({ record }) =>
        record.type === 'recall' && record.request.startsWith('#resume ')
          ? [record.request.split(' ')[2]]
          : [],
      ),
    );

    it('shows a decryption warning for that frame wherever it was delivered, and changes nothing else', () => {
      let checked = 0;
      for (const { line, record } of parsed.recording.entries) {
        if (record.type !== 'frame' || !readable(record.data)) continue;
        // A token sent twice (a replay) is left out: tampering one changes how the other shows.
        const copies = parsed.recording.entries.filter(
          (e) => e.record.type === 'frame' && e.record.data === record.data,
        );
        if (copies.length > 1) continue;
        // So is one a client resumed from: changed, it is a frame the hub never relayed, and the
        // resume a gap.
        const digest = tokenDigest(record.data);
        if (resumedFrom.has(digest)) continue;
        const data = changeOneByte(record.data, Math.floor(record.data.length / 2));
        const changed = [...lines];
        changed[line - 1] = JSON.stringify({ ...record, data });
        // A #hello names the newest frame by its digest, and the changed frame's is another.
        const tampered = transcriptOf(changed.join('\n'), files.key)
          .replaceAll(tokenDigest(data), digest)
          .split('\n');

        // Every copy of the frame each connection got: live, or in a history answer at the
        // answer's time (the copies are alike: tokens sent twice were left out above).
        const deliveries = replay.connections.flatMap((c) =>
          expandReceived(c.received)
            .filter((item) => item.kind === 'frame' && item.text === record.data)
            .map((item) => `  +${(item.t / 1000).toFixed(3)}s  `),
        );
        const kept = (transcript: string[]) => transcript.filter((l) => !SUMS_UP.test(l));
        const [was, is] = [kept(original), kept(tampered)];

        expect(is).toHaveLength(was.length);
        const differing = was.map((l, i) => [l, is[i]!] as const).filter(([a, b]) => a !== b);
        // One warning per recipient (the sender never gets its own frame back), where it got it.
        expect(differing.map(([, warning]) => warning).sort()).toEqual(
          deliveries.map((at) => `${at}${WARNING}`).sort(),
        );
        for (const [shown, warning] of differing)
          expect(shown.startsWith(warning.slice(0, -WARNING.length))).toBe(true);
        checked++;
      }
      expect(checked).toBeGreaterThan(2);
    });
  });

  describe('through the bin', () => {
    let cleanup: (() => void) | undefined;
    afterEach(() => cleanup?.());

    it('exits 1 with a diff whose only changes are the warnings', async () => {
      const temp = tempDir();
      cleanup = temp.cleanup;
      const files = fixture('three-people');
      const lines = readFileSync(files.recording, 'utf8').split('\n');
      // The fifth frame: a message, when everyone is there.
      const index = lines
        .map((line, i) => (line.includes('"type":"frame"') ? i : -1))
        .filter((i) => i >= 0)[4]!;
      const record = JSON.parse(lines[index]!) as Extract<EventRecord, { type: 'frame' }>;
      lines[index] = JSON.stringify({ ...record, data: changeOneByte(record.data, 100) });
      const tampered = join(temp.dir, 'tampered.jsonl');
      writeFileSync(tampered, lines.join('\n'));

      const { exit, stdout, stderr } = await runReplayBin([
        tampered,
        '--key',
        files.key,
        '--expect',
        files.transcript,
      ]);
      expect(exit.code).toBe(1);
      expect(stderr).toBe(
        `fernet-chat-replay: the replay of ${tampered} (virtual time) differs from ${files.transcript} (diff above)\n`,
      );
      const added = stdout.split('\n').filter((line) => line.startsWith('+') && !line.startsWith('+++'));
      const removed = stdout.split('\n').filter((line) => line.startsWith('-') && !line.startsWith('---'));
      expect(added.length).toBeGreaterThan(0);
      expect(added.length).toBe(removed.length);
      for (const line of added)
        expect(line).toMatch(
          /^\+ {2}\+\d+\.\d{3}s {2}! unreadable message: not encrypted with any of our keys, or tampered with$/,
        );
    });
  });
});
