import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startTestClient, stopAll } from '../support/bins.ts';
import { eventually } from '../support/eventually.ts';
import { startTestHub } from '../support/hub.ts';
import { haveScript, ScriptTty } from '../support/scriptTty.ts';
import { testIdentityFile } from '../support/testIdentity.ts';
import { tempDir, writeTestKeyFile } from '../support/testKey.ts';

if (!haveScript) console.warn('terminal tests skipped: util-linux `script` is not installed');

describe.skipIf(!haveScript)('client on a terminal (skipped when util-linux `script` is missing)', () => {
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

  it('asks for a name, prompts, and shows incoming lines above the half-typed one without clobbering it', async () => {
    const hub = await startTestHub();
    const key = writeTestKeyFile(dir.dir);
    tty = new ScriptTty(
      `node --import tsx src/bin/client.ts --host 127.0.0.1 --port ${hub.port} --key-file ${key} --identity-file ${testIdentityFile('carol')}`,
    );
    await eventually(() => tty!.text.includes('Your name: ') || undefined, 'the name question', 10_000);
    tty.type('carol\r');
    await eventually(() => tty!.text.includes('carol> ') || undefined, 'the prompt', 5_000);

    tty.type('half-typ');
    await eventually(() => tty!.text.includes('carol> half-typ') || undefined, 'the echo of typing', 5_000);
    const bob = startTestClient(hub.port, key, 'bob');
    bob.write('hello carol\n');

    // The message lands on a line of its own (after its local time, on a terminal), and the prompt
    // comes back with the partial input intact.
    await eventually(
      () => /\n\d\d:\d\d bob: hello carol\n/.test(tty!.text) || undefined,
      'the incoming line',
      10_000,
    );
    // The line and the redrawn prompt are two writes, which can reach us in two reads.
    const after = () => tty!.text.slice(tty!.text.lastIndexOf('bob: hello carol'));
    await eventually(
      () => after().includes('carol> half-typ') || undefined,
      () => `the prompt redrawn after the line; after it: ${JSON.stringify(after())}`,
    );
    expect(after()).toContain('carol> half-typ');

    tty.type('ed\r');
    await bob.waitForLine('stdout', 'carol: half-typed', 5_000);
    bob.endInput();
    await bob.waitForExit();

    tty.type('\x04'); // Ctrl-D: a clean exit
    await eventually(() => (tty!.exit !== undefined ? true : undefined), 'the client to exit', 5_000);
    expect(tty.exit).toBe(0);
  });

  it('with no identity yet, offers to make one; with consent it is written 0600 and signs from then on', async () => {
    const hub = await startTestHub();
    const key = writeTestKeyFile(dir.dir);
    const identity = join(dir.dir, 'identity.key');
    tty = new ScriptTty(
      `node --import tsx src/bin/client.ts --host 127.0.0.1 --port ${hub.port} --key-file ${key} --name dora --pinned-names-file ${join(dir.dir, 'pins')}`,
    );
    await eventually(() => tty!.text.includes('Make one now? [Y/n] ') || undefined, 'the question', 10_000);
    expect(existsSync(identity)).toBe(false);
    tty.type('\r'); // Enter: the default, yes
    await tty.shows('Your identity fingerprint: ', 10_000);
    await tty.shows('* connected as #', 10_000);
    expect(statSync(identity).mode & 0o777).toBe(0o600);
    const bob = startTestClient(hub.port, key, 'bob');
    await bob.waitForLine('stdout', '* dora joined', 10_000);
    tty.type('signed\r');
    // A signed line: bob shows the name plainly (an unsigned one would be ~dora).
    await bob.waitForLine('stdout', 'dora: signed', 5_000);
    tty.type('\x04');
    await eventually(() => (tty!.exit !== undefined ? true : undefined), 'the client to exit', 5_000);
    expect(tty.exit).toBe(0);
  });
});
