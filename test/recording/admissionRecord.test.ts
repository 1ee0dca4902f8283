import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { admissionKeyOf } from '../../src/crypto/admissionKey.ts';
import { answerChallenge } from '../../src/crypto/answerChallenge.ts';
import { FernetKey } from '../../src/crypto/fernetKey.ts';
import { KeyRing } from '../../src/crypto/keyRing.ts';
import { parseRecording } from '../../src/recording/parseRecording.ts';
import { stopAll } from '../support/bins.ts';
import { startTestHub } from '../support/hub.ts';
import { RawSocket } from '../support/rawSocket.ts';
import {
  envelope,
  OTHER_KEY,
  TEST_KEY,
  tempDir,
  testRing,
  tokenOf,
  writeTestKeyFile,
} from '../support/testKey.ts';
import { runReplayBin } from '../replay/replayBin.ts';

// A hub with --admit records the room behind its gate: the members' joins (as they are
// admitted), frames and leaves, and no trace of the handshake or of those turned away. So the
// recording replays as any other, with no admission keys and no nonces to reproduce.

describe('fernet-chat-hub --admit --record', () => {
  let cleanup: (() => void) | undefined;
  const sockets: RawSocket[] = [];
  afterEach(async () => {
    for (const socket of sockets.splice(0)) socket.destroy();
    await stopAll();
    cleanup?.();
  });

  async function answered(port: number, ring: KeyRing): Promise<RawSocket> {
    const socket = await RawSocket.open(port);
    sockets.push(socket);
    const reply = answerChallenge(ring, await socket.waitForLine('#challenge '), '127.0.0.1');
    if (!reply.ok) throw new Error(reply.message);
    await socket.write(`${reply.line}\n`);
    return socket;
  }

  it('records the members only, and replays to what they received', async () => {
    const temp = tempDir();
    cleanup = temp.cleanup;
    const path = join(temp.dir, 'session.jsonl');
    const admit = join(temp.dir, 'admit.keys');
    writeFileSync(admit, `${admissionKeyOf(FernetKey.parse(TEST_KEY)).publicKey}\n`);
    const hub = await startTestHub(['--record', path, '--admit', admit, '--hub-name', '127.0.0.1']);

    const a = await answered(hub.port, testRing);
    await a.waitForLine('#hello');
    const outsider = await answered(hub.port, new KeyRing([FernetKey.parse(OTHER_KEY)]));
    await outsider.waitForLine('#bye unauthorized');
    const b = await answered(hub.port, testRing);
    await b.waitForLine('#hello');
    const token = tokenOf(
      envelope({ from: 'al', text: 'members only', at: new Date().toISOString() }),
      testRing,
      Math.floor(Date.now() / 1000),
    );
    await a.write(`${token}\n`);
    await b.waitForLine(token);
    hub.bin.kill('SIGTERM');
    await hub.bin.waitForExit();

    const text = readFileSync(path, 'utf8');
    expect(text).not.toContain('#challenge');
    expect(text).not.toContain('#answer');
    const parsed = parseRecording(text);
    if (!parsed.ok) throw new Error(parsed.error.message);
    const records = parsed.recording.entries.map((e) => e.record).filter((r) => r.type !== 'tick');
    // Peer 2 was the outsider: it never joined the room, so it is nowhere in the recording.
    const shown = records.map((r) => `${r.type}${'peer' in r ? ` ${r.peer}` : ''}`);
    // The two leaves at shutdown come in either order.
    expect([...shown.slice(0, 4), ...shown.slice(4).sort()]).toEqual([
      'join 1',
      'join 3',
      'frame 1',
      'shutdown',
      'leave 1',
      'leave 3',
    ]);

    const keyFile = writeTestKeyFile(temp.dir, 'replay.key');
    const replay = await runReplayBin([path, '--key', keyFile]);
    expect(replay.exit.code, replay.stderr).toBe(0);
    expect(replay.stdout).toContain('members only');
    expect(replay.stdout).not.toContain('connection 2');
  });
});
