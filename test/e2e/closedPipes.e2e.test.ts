import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { once } from 'node:events';
import { pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { clientArgs, ROOT, stopAll } from '../support/bins.ts';
import { eventually } from '../support/eventually.ts';
import { startTestHub } from '../support/hub.ts';
import { RawSocket } from '../support/rawSocket.ts';
import { tempDir, tokenOf, writeTestKeyFile } from '../support/testKey.ts';

// What happens when whoever reads a bin's output goes away (`hub 2>&1 | tee log` and tee dies,
// `client | head -1`): the hub must keep relaying; the client ends quietly.

const TSX = pathToFileURL(`${ROOT}node_modules/tsx/dist/loader.mjs`).href;
const children: ChildProcessWithoutNullStreams[] = [];
const sockets: RawSocket[] = [];

function spawnBin(name: string, args: string[]): ChildProcessWithoutNullStreams {
  const child = spawn(process.execPath, ['--import', TSX, `${ROOT}src/bin/${name}.ts`, ...args], {
    cwd: ROOT,
  });
  children.push(child);
  return child;
}

afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.destroy();
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
  await stopAll();
});

describe('a bin whose output reader went away', () => {
  it('the hub keeps relaying when its log pipe is closed', async () => {
    const hub = spawnBin('hub', ['--host', '127.0.0.1', '--port', '0']);
    let log = '';
    hub.stderr.setEncoding('utf8').on('data', (text: string) => (log += text));
    const port = Number(
      (await eventually(() => /event=listening .*port=(\d+)/.exec(log)?.[1], 'the hub to listen', 10_000)) ??
        0,
    );
    hub.stderr.destroy(); // the reader is gone: the hub's next log line meets EPIPE

    const alice = await RawSocket.open(port);
    const bob = await RawSocket.open(port);
    sockets.push(alice, bob);
    await bob.waitForLine(/^#hello /);
    const token = tokenOf('still here');
    await alice.write(`${token}\n`);
    await bob.waitForLine(token);
    expect(hub.exitCode).toBeNull();
  });

  it('the client exits 0, quietly, when its stdout is closed', async () => {
    const hub = await startTestHub();
    const dir = tempDir();
    try {
      const key = writeTestKeyFile(dir.dir);
      const client = spawnBin('client', clientArgs(hub.port, key, 'carol'));
      let errors = '';
      client.stderr.setEncoding('utf8').on('data', (text: string) => (errors += text));
      await eventually(() => errors.includes('* connected') || undefined, 'the client to connect', 10_000);
      client.stdout.destroy();

      const sender = await RawSocket.open(hub.port);
      sockets.push(sender);
      await sender.waitForLine(/^#hello /);
      await sender.write(
        `${tokenOf({ v: 1, kind: 'message', from: 'dave', text: 'anyone?', id: '00000000-0000-4000-8000-000000000001', at: new Date().toISOString() }, undefined, Math.floor(Date.now() / 1000))}\n`,
      );
      const [code] = (await once(client, 'exit')) as [number | null];
      expect(code).toBe(0);
      expect(errors).not.toMatch(/unexpected error|EPIPE/);
    } finally {
      dir.cleanup();
    }
  });
});
