import { readFileSync } from 'node:fs';
import { ConfigError } from '../config/configError.ts';
import { type ReplayConfig, splitHostPort } from '../config/replayConfig.ts';
import { KeyFileError } from '../crypto/keyFile.ts';
import type { KeyRing } from '../crypto/keyRing.ts';
import { parseRecording } from '../recording/parseRecording.ts';
import type { Pin } from '../actors/pinnedNames.ts';
import { ownNames } from './ownNames.ts';
import { clientFrameReader, type ConnectionReader, fingerprintReader } from './frameReader.ts';
import { historyRequests } from './historyRequests.ts';
import { lineDiff } from './lineDiff.ts';
import { liveReplay } from './liveReplay.ts';
import { readReplayKey } from './replayKey.ts';
import { renderTranscript } from './transcript.ts';
import { virtualReplay } from './virtualReplay.ts';

export interface ReplayOutput {
  /** The transcript, a diff, or the line saying it matched. */
  readonly stdout: (text: string) => void;
  /** Problems, one line each. */
  readonly stderr: (line: string) => void;
}

/**
 * Replays a recording (virtual time, or live with --live), prints what each connection
 * received, and compares it with --expect. Resolves with the exit status: 0 as expected, 1 when
 * the replay differs from the transcript or from the recording. Unusable input (a malformed
 * recording, a missing file, a bad key) throws ConfigError: exit 2, one line each.
 */
export async function runReplay(config: ReplayConfig, file: string, out: ReplayOutput): Promise<number> {
  const parsed = parseRecording(readText(file, 'recording'));
  if (!parsed.ok) throw new ConfigError([`${file} ${parsed.error.message}`]);
  const { recording } = parsed;
  const ring = config.key === undefined ? undefined : readKey(config.key);
  const expectedText = config.expect === undefined ? undefined : readText(config.expect, 'transcript');

  const virtual = virtualReplay(recording);
  const result =
    config.live === undefined
      ? virtual
      : await liveReplay(recording, virtual, { ...splitHostPort(config.live), speed: config.speed });

  const readers: Array<{ close(): void }> = [];
  const asked = historyRequests(recording);
  let own: Map<number, Pin[]> | undefined;
  const readerFor = (peer: number): ConnectionReader => {
    if (ring === undefined) return fingerprintReader;
    own ??= ownNames(recording, ring);
    const reader = clientFrameReader(ring, config.ttlSeconds, asked.get(peer), own.get(peer));
    readers.push(reader);
    return reader;
  };
  const transcript = renderTranscript({ header: recording.header, ...result }, readerFor);
  for (const reader of readers) reader.close();

  for (const remark of result.remarks ?? []) out.stderr(`note: ${remark}`);
  for (const problem of result.problems) out.stderr(problem);
  let status = result.problems.length > 0 ? 1 : 0;
  if (expectedText === undefined) {
    out.stdout(transcript);
    return status;
  }
  const mode = config.live === undefined ? 'virtual time' : `live against ${config.live}`;
  const diff = lineDiff(expectedText, transcript, {
    expected: config.expect!,
    actual: `replay of ${file} (${mode})`,
  });
  if (diff === undefined) {
    out.stdout(`the replay of ${file} (${mode}) matches ${config.expect}\n`);
  } else {
    out.stdout(diff);
    out.stderr(`the replay of ${file} (${mode}) differs from ${config.expect} (diff above)`);
    status = 1;
  }
  return status;
}

function readText(path: string, what: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new ConfigError([
      code === 'ENOENT'
        ? `${what} file ${path} does not exist`
        : `cannot read ${what} file ${path} (${code ?? String(error)})`,
    ]);
  }
}

function readKey(path: string): KeyRing {
  try {
    return readReplayKey(path);
  } catch (error) {
    if (error instanceof KeyFileError) throw new ConfigError([error.message]);
    throw error;
  }
}
