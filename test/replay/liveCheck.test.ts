import { afterEach, describe, expect, it } from 'vitest';
import { stopAll } from '../support/bins.ts';
import { startTestHub } from '../support/hub.ts';
import { fixture, runReplayBin } from './replayBin.ts';

describe('a live replay against a hub that behaves differently', () => {
  afterEach(stopAll);

  it('says where the connection received something else, and exits 1', async () => {
    // bad-input was recorded with --max-frame-bytes 1024; this hub keeps the default 64 KiB, so
    // the oversized line comes back as a bad frame instead.
    const files = fixture('bad-input');
    const hub = await startTestHub();
    const { exit, stdout, stderr } = await runReplayBin([
      files.recording,
      ...[
        '--key',
        files.key,
        '--expect',
        files.transcript,
        '--live',
        `127.0.0.1:${hub.port}`,
        '--speed',
        '0',
      ],
    ]);
    expect(exit.code).toBe(1);
    expect(stderr).toMatch(
      /^fernet-chat-replay: connection 3: frame 4: expected "#error frame-too-large frame of 4000\+ bytes exceeds the limit of 1024" \(line \d+\), received "#error bad-frame not a Fernet token: wrong length"$/m,
    );
    expect(stdout).toMatch(/^\+ {2}\+\d+\.\d{3}s {2}#error bad-frame not a Fernet token: wrong length$/m);
  });
});
