import { chmodSync, copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { recordingText, TOKEN_A } from '../recording/recordingText.ts';
import { TEST_KEY, tempDir, writeTestKeyFile } from '../support/testKey.ts';
import { fixture, runReplayBin } from './replayBin.ts';

describe('fernet-chat-replay on bad input', () => {
  let cleanup: (() => void) | undefined;
  afterEach(() => cleanup?.());
  const temp = () => {
    const made = tempDir();
    cleanup = made.cleanup;
    return made.dir;
  };

  it('names the line and the zod problem of a malformed recording, and exits 2', async () => {
    const file = join(temp(), 'bad.jsonl');
    writeFileSync(
      file,
      recordingText(
        { type: 'join', t: 0, peer: 1, remote: '127.0.0.1:1' },
        { type: 'frame', t: 1, peer: 1, data: TOKEN_A },
        { type: 'frame', t: 2, peer: '1', data: TOKEN_A },
      ),
    );
    const { exit, stdout, stderr } = await runReplayBin([file]);
    expect(exit.code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toBe(
      `fernet-chat-replay: ${file} line 4: frame: peer: Invalid input: expected number, received string\n`,
    );
  });

  it('says so when the recording is missing, or not given, and exits 2', async () => {
    const missing = await runReplayBin(['/nonexistent/session.jsonl']);
    expect(missing.exit.code).toBe(2);
    expect(missing.stderr).toBe(
      'fernet-chat-replay: recording file /nonexistent/session.jsonl does not exist\n',
    );
    const none = await runReplayBin([]);
    expect(none.exit.code).toBe(2);
    expect(none.stderr).toBe('fernet-chat-replay: which recording? (see fernet-chat-replay --help)\n');
  });

  it('refuses a bad --live and --speed with the setting, the value and what is allowed', async () => {
    const files = fixture('three-people');
    const { exit, stderr } = await runReplayBin([files.recording, '--live', 'nowhere', '--speed=-1']);
    expect(exit.code).toBe(2);
    expect(stderr).toContain(
      'fernet-chat-replay: live = "nowhere" from --live: expected HOST:PORT, e.g. 127.0.0.1:10101',
    );
    expect(stderr).toContain('fernet-chat-replay: speed = -1 from --speed:');
  });

  it('exits 1 with a readable diff when the transcript differs', async () => {
    const files = fixture('three-people');
    const expected = join(temp(), 'expected.transcript');
    writeFileSync(
      expected,
      readFileSync(files.transcript, 'utf8').replace('bob: see you tomorrow', 'bob: see you monday'),
    );
    const { exit, stdout } = await runReplayBin([files.recording, '--key', files.key, '--expect', expected]);
    expect(exit.code).toBe(1);
    expect(stdout).toContain(`--- ${expected}\n+++ replay of ${files.recording} (virtual time)\n@@ `);
    expect(stdout).toMatch(/^- {2}\+\d+\.\d{3}s {2}~bob: see you monday$/m);
    expect(stdout).toMatch(/^\+ {2}\+\d+\.\d{3}s {2}~bob: see you tomorrow$/m);
  });

  it("keeps the client's rule for keys others can read, except a fixture's throw-away key", async () => {
    const dir = temp();
    const files = fixture('three-people');
    const open = writeTestKeyFile(dir, 'open.key', TEST_KEY, 0o644);
    const refused = await runReplayBin([files.recording, '--key', open]);
    expect(refused.exit.code).toBe(2);
    expect(refused.stderr).toBe(
      `fernet-chat-replay: key file ${open} is readable by others (mode 0644); fix it with: chmod 600 ${open}\n`,
    );
    // As git leaves a fixture's key on a fresh clone.
    const fixtureKey = join(dir, 'fixture.key');
    copyFileSync(files.key, fixtureKey);
    chmodSync(fixtureKey, 0o644);
    const accepted = await runReplayBin([files.recording, '--key', fixtureKey, '--expect', files.transcript]);
    expect(accepted.stderr).toBe('');
    expect(accepted.exit.code).toBe(0);
  });

  it('exits 1 with one line when the live hub is not there', async () => {
    const files = fixture('three-people');
    const server = createServer();
    const port = await new Promise<number>((resolve) =>
      server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port)),
    );
    await new Promise((resolve) => server.close(resolve));
    const { exit, stderr } = await runReplayBin([
      files.recording,
      '--live',
      `127.0.0.1:${port}`,
      '--speed',
      '0',
    ]);
    expect(exit.code).toBe(1);
    expect(stderr.split('\n')[0]).toMatch(
      new RegExp(
        `^fernet-chat-replay: cannot connect to the hub at 127\\.0\\.0\\.1:${port}: connection refused`,
      ),
    );
  });
});
