import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { stopAll } from '../support/bins.ts';
import { eventually } from '../support/eventually.ts';
import { startTestHub } from '../support/hub.ts';
import { haveScript, ScriptTty } from '../support/scriptTty.ts';
import { testIdentityFile } from '../support/testIdentity.ts';
import { tempDir, writeTestKeyFile } from '../support/testKey.ts';

if (!haveScript) console.warn('Ctrl-D terminal test skipped: util-linux `script` is not installed');

describe.skipIf(!haveScript)('Ctrl-D while offline, on a terminal (needs util-linux `script`)', () => {
  let dir: { dir: string; cleanup: () => void };
  let tty: ScriptTty | undefined;
  beforeEach(() => {
    dir = tempDir();
  });
  afterEach(async () => {
    tty?.kill();
    await stopAll();
    dir.cleanup();
  });

  it('says what it waits for, and a second Ctrl-D leaves at once', async () => {
    const hub = await startTestHub();
    const key = writeTestKeyFile(dir.dir);
    tty = new ScriptTty(
      `node --import tsx src/bin/client.ts --host 127.0.0.1 --port ${hub.port} --key-file ${key} --name alice --identity-file ${testIdentityFile('alice')}`,
    );
    await tty.shows('* connected as #', 15_000);
    hub.bin.kill('SIGKILL');
    await tty.shows('* lost the connection to the hub');
    tty.type('are you there?\r');
    await tty.shows('* 1 line queued, will be sent on reconnect');
    tty.type('\x04');
    await tty.shows('* not connected: waiting up to 20 s for the hub to send 1 line queued (Ctrl-D again');
    const started = Date.now();
    tty.type('\x04');
    await tty.shows('* left without sending what was queued');
    await eventually(() => (tty!.exit !== undefined ? true : undefined), 'the client to exit', 3_000);
    expect(tty.exit).toBe(1);
    expect(Date.now() - started).toBeLessThan(3_000);
  }, 30_000);
});
