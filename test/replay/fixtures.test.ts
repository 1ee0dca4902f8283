import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { parseRecording } from '../../src/recording/parseRecording.ts';
import { liveHubArgs } from '../../src/replay/liveHubArgs.ts';
import { stopAll } from '../support/bins.ts';
import { startTestHub } from '../support/hub.ts';
import { FIXTURES, fixture, runReplayBin } from './replayBin.ts';

function hubArgsOf(recordingFile: string): string[] {
  const parsed = parseRecording(readFileSync(recordingFile, 'utf8'));
  if (!parsed.ok) throw new Error(parsed.error.message);
  return liveHubArgs(parsed.recording.header.hub);
}

describe('the session fixtures', () => {
  afterEach(stopAll);

  it('are all there', () => {
    expect(FIXTURES).toEqual([
      'bad-input',
      'forged-name',
      'joins-and-leaves',
      'late-joiner-and-reconnect',
      'python-tokens',
      'three-people',
    ]);
  });

  describe.each(FIXTURES)('%s', (name) => {
    const files = fixture(name);

    it('replays in virtual time to its transcript', async () => {
      const { exit, stdout, stderr } = await runReplayBin([
        files.recording,
        ...['--key', files.key, '--expect', files.transcript],
      ]);
      expect(stderr).toBe('');
      expect(exit.code).toBe(0);
      expect(stdout).toBe(`the replay of ${files.recording} (virtual time) matches ${files.transcript}\n`);
    });

    it('replays live, each connection a real TCP client of a real hub, to the same transcript', async () => {
      const hub = await startTestHub(hubArgsOf(files.recording));
      const live = `127.0.0.1:${hub.port}`;
      const { exit, stdout, stderr } = await runReplayBin([
        files.recording,
        ...['--key', files.key, '--expect', files.transcript, '--live', live, '--speed', '0'],
      ]);
      expect(stderr).toBe('');
      expect(exit.code).toBe(0);
      expect(stdout).toBe(
        `the replay of ${files.recording} (live against ${live}) matches ${files.transcript}\n`,
      );
    });

    it('prints the transcript itself without --expect', async () => {
      const { exit, stdout } = await runReplayBin([files.recording, '--key', files.key]);
      expect(exit.code).toBe(0);
      expect(stdout).toBe(readFileSync(files.transcript, 'utf8'));
    });
  });

  it('replays live at --speed 1 in the recorded time, and at --speed 4 in a quarter of it', async () => {
    const files = fixture('python-tokens');
    const parsed = parseRecording(readFileSync(files.recording, 'utf8'));
    if (!parsed.ok) throw new Error(parsed.error.message);
    const times = parsed.recording.entries.map((e) => e.record.t);
    const span = times.at(-1)! - times[0]!;
    const hub = await startTestHub(hubArgsOf(files.recording));
    for (const speed of [1, 4]) {
      const started = performance.now();
      const { exit, stderr } = await runReplayBin([
        files.recording,
        ...['--key', files.key, '--expect', files.transcript, '--live', `127.0.0.1:${hub.port}`],
        ...['--speed', String(speed)],
      ]);
      expect(stderr).toBe('');
      expect(exit.code).toBe(0);
      expect(performance.now() - started).toBeGreaterThanOrEqual(span / speed);
    }
  });
});
