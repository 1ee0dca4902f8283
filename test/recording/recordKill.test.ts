import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseRecording } from '../../src/recording/parseRecording.ts';
import { eventRecordSchema, headerRecordSchema } from '../../src/recording/recordingSchema.ts';
import { stopAll } from '../support/bins.ts';
import { eventually } from '../support/eventually.ts';
import { startTestHub } from '../support/hub.ts';
import { RawSocket } from '../support/rawSocket.ts';
import { tempDir, tokenOf } from '../support/testKey.ts';

const PEERS = 4;
const isFrameRecord = (line: string) => line.startsWith('{"type":"frame"');
/** Frame records in the finished lines of the file so far. */
const framesRecorded = (path: string) =>
  readFileSync(path, 'utf8').split('\n').slice(0, -1).filter(isFrameRecord).length;
const BATCH = Buffer.from(
  Array.from({ length: 100 }, (_, i) => `${tokenOf(`message ${i} ${'x'.repeat(i * 7)}`)}\n`).join(''),
);

describe('recording a hub that is killed', () => {
  let cleanup: (() => void) | undefined;
  afterEach(async () => {
    await stopAll();
    cleanup?.();
  });

  for (const killAfterMs of [150, 400, 700]) {
    it(`leaves only whole lines, each a valid record (SIGKILL after ${killAfterMs} ms of traffic)`, async () => {
      const temp = tempDir();
      cleanup = temp.cleanup;
      const path = join(temp.dir, 'killed.jsonl');
      const hub = await startTestHub(['--record', path, '--unlimited']);
      const peers = await Promise.all(Array.from({ length: PEERS }, () => RawSocket.open(hub.port)));
      await Promise.all(peers.map((peer) => peer.waitForLine('#hello')));

      let blasting = true;
      const blast = (peer: RawSocket) => {
        if (!blasting || peer.closed) return;
        peer.socket.write(BATCH, () => setImmediate(() => blast(peer)));
      };
      for (const peer of peers) blast(peer);
      // The kill's clock starts once traffic is being recorded: on a busy machine the hub may not
      // have written a hundred frames within the first 150 ms.
      await eventually(
        () => framesRecorded(path) > 100,
        () => `more than 100 frames in the recording (${framesRecorded(path)} so far)`,
        10_000,
      );
      await new Promise((resolve) => setTimeout(resolve, killAfterMs));
      hub.bin.kill('SIGKILL');
      await hub.bin.exited;
      blasting = false;
      for (const peer of peers) peer.destroy();

      expect(statSync(path).mode & 0o777).toBe(0o600);
      const text = readFileSync(path, 'utf8');
      // Every write call is whole lines, so everything up to the last LF is whole records. The
      // kernel can still cut the one write in progress at a page boundary when SIGKILL lands
      // inside it (generic_perform_write stops on a fatal signal): then, and only then, the file
      // ends in an unfinished line, which the replay leaves out, saying so.
      const lines = text.split('\n');
      const unfinished = lines.pop()!;
      expect(headerRecordSchema.safeParse(JSON.parse(lines[0]!)).success).toBe(true);
      for (const [index, line] of lines.slice(1).entries()) {
        const parsed = eventRecordSchema.safeParse(JSON.parse(line));
        if (!parsed.success) throw new Error(`line ${index + 2} is not a record: ${line.slice(0, 200)}`);
      }
      const recording = parseRecording(text);
      if (!recording.ok) throw new Error(recording.error.message);
      expect(recording.recording.warnings).toEqual(
        unfinished === ''
          ? []
          : [
              `line ${lines.length + 1} is unfinished (no LF at the end of the file: the hub was stopped while writing it?) and was left out`,
            ],
      );
      expect(recording.recording.entries).toHaveLength(lines.length - 1);
      expect(lines.filter(isFrameRecord).length).toBeGreaterThan(100);
    });
  }
});
