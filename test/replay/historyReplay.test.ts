import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { tokenDigest } from '../../src/protocol/frameDigest.ts';
import { parseNotice } from '../../src/protocol/notice.ts';
import { parseRecording } from '../../src/recording/parseRecording.ts';
import { liveHubArgs } from '../../src/replay/liveHubArgs.ts';
import { stopAll } from '../support/bins.ts';
import { startTestHub } from '../support/hub.ts';
import { RawSocket } from '../support/rawSocket.ts';
import { envelope, tempDir, testId, tokenOf, writeTestKeyFile } from '../support/testKey.ts';
import { runReplayBin } from './replayBin.ts';

const isToken = (line: string) => line.startsWith('gAAAA');

/** alice's line, dated `now`: the replay judges tokens by its TTL at the recorded time. */
function said(text: string, n: number, now: Date): string {
  return tokenOf(
    envelope({ from: 'alice', text, id: testId(n), at: now.toISOString() }),
    undefined,
    Math.floor(now.getTime() / 1000),
  );
}

async function joined(port: number): Promise<{ socket: RawSocket; epoch: string }> {
  const socket = await RawSocket.open(port);
  const hello = parseNotice(await socket.waitForLine('#hello'));
  if (hello.kind !== 'hello' || hello.epoch === undefined) throw new Error('a #hello without an epoch');
  return { socket, epoch: hello.epoch };
}

describe('a recorded session with a late joiner and a resume', () => {
  let cleanup: (() => void) | undefined;
  afterEach(async () => {
    await stopAll();
    cleanup?.();
  });

  it('is recorded with its requests and answers, and replays to the same answers in virtual time and live', async () => {
    const temp = tempDir();
    cleanup = temp.cleanup;
    const path = join(temp.dir, 'session.jsonl');
    const key = writeTestKeyFile(temp.dir);
    const hub = await startTestHub(['--record', path]);
    const now = new Date();
    const [t1, t2, t3, t4, t5] = [
      said('one', 1, now),
      said('two', 2, now),
      said('three', 3, now),
      said('four', 4, now),
      said('five', 5, now),
    ];
    // As a client shows a line from history, the time in UTC (a transcript reads the same anywhere).
    const earlier = `[${now.toISOString().slice(11, 16)}]`;

    const alice = await joined(hub.port);
    const bob = await joined(hub.port);
    await alice.socket.write(`${t1}\n${t2}\n${t3}\n`);
    await bob.socket.waitForLines(3, isToken);
    // carol comes late and asks for the last two; asking twice is refused.
    const carol = await joined(hub.port);
    await carol.socket.write('#history 2\n');
    await carol.socket.waitForLine('#history-end 2 complete');
    await carol.socket.write('#history 2\n');
    await carol.socket.waitForLine('#error bad-request');
    // bob's connection drops; alice goes on; bob comes back and resumes after t3.
    bob.socket.destroy();
    await alice.socket.waitForLine('#left 2');
    await alice.socket.write(`${t4}\n${t5}\n`);
    await carol.socket.waitForLines(2, isToken);
    const bobAgain = await joined(hub.port);
    await bobAgain.socket.write(`#resume ${bobAgain.epoch} ${tokenDigest(t3)}\n`);
    await bobAgain.socket.waitForLine('#history-end 2 complete');
    // dave knew an earlier run of the hub, and says so badly first.
    const dave = await joined(hub.port);
    await dave.socket.write('#history lots\n#resume 0lder-Ep0ch -\n');
    await dave.socket.waitForLine('#history-end 5 gap');
    hub.bin.kill('SIGTERM');
    await hub.bin.waitForExit();

    const text = readFileSync(path, 'utf8');
    const parsed = parseRecording(text);
    if (!parsed.ok) throw new Error(parsed.error.message);
    const { hub: recordedHub } = parsed.recording.header;
    expect(recordedHub.history).toEqual({
      frames: 500,
      seconds: 3600,
      bytes: 16 * 1024 * 1024,
      epoch: alice.epoch,
    });
    const records = parsed.recording.entries.map((e) => e.record);
    expect(records.flatMap((r) => (r.type === 'recall' ? [[r.peer, r.request]] : []))).toEqual([
      [3, '#history 2'],
      [3, '#history 2'],
      [4, `#resume ${alice.epoch} ${tokenDigest(t3)}`],
      [5, '#resume 0lder-Ep0ch -'],
    ]);
    expect(records.flatMap((r) => (r.type === 'notice' ? [[r.peer, r.text]] : []))).toEqual([
      [3, '#history-end 2 complete'],
      [3, '#error bad-request one history or resume request per connection'],
      [4, '#history-end 2 complete'],
      [5, '#error bad-request #history takes one count of frames, e.g. #history 50'],
      [5, '#history-end 5 gap'],
    ]);
    // The answers' frames are the frame records already: nothing else holds a token.
    expect(text.match(/gAAAA/g)).toHaveLength(5);

    const virtual = await runReplayBin([path, '--key', key]);
    expect(virtual.stderr).toBe('');
    expect(virtual.exit.code).toBe(0);
    const sectionOf = (peer: number) =>
      virtual.stdout
        .split(/\n(?=\n== )/)
        .find((section) => section.includes(`== connection ${peer} `))!
        .split('\n')
        .filter((line) => line.startsWith('  +'))
        .map((line) => line.replace(/^ {2}\+\d+\.\d{3}s {2}/, ''));
    // Each connection is read by a client that asked what was recorded: carol's history shows
    // as earlier lines and a separator; bob's resume as what came while he was away.
    expect(sectionOf(3).slice(0, 6)).toEqual([
      `#hello fernet-chat/1 3 3 ${alice.epoch} ${tokenDigest(t3)}`,
      '#history-start',
      `${earlier} ~alice: two`,
      `${earlier} ~alice: three`,
      '#history-end 2 complete',
      '* ---- earlier messages above ----',
    ]);
    // The request asked twice is refused: the transcript shows the hub's #error, not the
    // client's `! hub: …` for it; later frames are live again.
    expect(sectionOf(3).slice(6, 9)).toEqual([
      '#error bad-request one history or resume request per connection',
      '#left 2 2 quit',
      '~alice: four',
    ]);
    expect(sectionOf(4).slice(0, 6)).toEqual([
      `#hello fernet-chat/1 4 3 ${alice.epoch} ${tokenDigest(t5)}`,
      '#history-start',
      `${earlier} ~alice: four`,
      `${earlier} ~alice: five`,
      '#history-end 2 complete',
      '* 2 messages while you were away',
    ]);
    // dave sent a malformed request first: a client waiting for its answer would take the
    // refusal as "not coming", then show the answer that came after all as earlier lines.
    expect(sectionOf(5)).toEqual([
      expect.stringMatching(/^#hello fernet-chat\/1 5 4 /),
      '#error bad-request #history takes one count of frames, e.g. #history 50',
      '* some messages may have been missed (the hub refused the request)',
      '#history-start',
      ...['one', 'two', 'three', 'four', 'five'].map((text) => `${earlier} ~alice: ${text}`),
      '#history-end 5 gap',
      '#bye shutdown',
    ]);

    // Live: a new hub, with a new epoch, gives the same answers to the same requests.
    const transcript = join(temp.dir, 'session.transcript');
    writeFileSync(transcript, virtual.stdout);
    const liveHub = await startTestHub(liveHubArgs(recordedHub));
    const address = `127.0.0.1:${liveHub.port}`;
    const live = await runReplayBin([
      path,
      ...['--key', key, '--expect', transcript, '--live', address, '--speed', '0'],
    ]);
    expect(live.stderr).toBe(
      "fernet-chat-replay: note: 4 frames of the recording came from the hub's own clock or its shutdown (keepalive pings, #bye): a live replay cannot ask for them, so they are not checked\n",
    );
    expect(live.exit.code).toBe(0);
    expect(live.stdout).toBe(`the replay of ${path} (live against ${address}) matches ${transcript}\n`);
  });
});
