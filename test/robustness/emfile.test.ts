import { type ChildProcess, spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { connect, createServer, type Socket } from 'node:net';
import { pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { serverConnections } from '../../src/streams/serverConnections.ts';
import { ROOT } from '../support/bins.ts';
import { eventually } from '../support/eventually.ts';
import { expectHealthyPair } from './support/healthy.ts';
import { Receiver } from './support/receiver.ts';

const TSX = pathToFileURL(`${ROOT}node_modules/tsx/dist/loader.mjs`).href;
// Low, but not so low that loading the modules at start-up (tsx, zod) runs out.
const FD_LIMIT = 256;

let child: ChildProcess | undefined;
afterEach(async () => {
  if (child && child.exitCode === null && child.signalCode === null) {
    const gone = new Promise((resolve) => child!.once('exit', resolve));
    child.kill('SIGKILL');
    await gone;
  }
  child = undefined;
});

describe('running out of file descriptors', () => {
  it('connections past the fd limit are closed and the hub goes on; once they close it admits again', async () => {
    // `ulimit -n` for the hub alone: node itself holds a few dozen of them.
    child = spawn(
      'bash',
      [
        '-c',
        `ulimit -n ${FD_LIMIT} && exec "$0" --import "$1" "$2" --host 127.0.0.1 --port 0`,
        process.execPath,
        TSX,
        `${ROOT}src/bin/hub.ts`,
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let stderr = '';
    child.stderr!.setEncoding('utf8').on('data', (text: string) => {
      stderr += text;
    });
    const port = await eventually(
      () => Number(/event=listening .*port=(\d+)/.exec(stderr)?.[1]) || undefined,
      () => `the hub to listen; stderr: ${stderr}`,
      10_000,
    );
    const pid = child.pid!;
    const openFds = readdirSync(`/proc/${pid}/fd`).length;

    // Twice as many connections as the hub has descriptors left.
    const wanted = (FD_LIMIT - openFds) * 2;
    const peers = await Promise.all(Array.from({ length: wanted }, () => Receiver.open(port)));
    // Past the limit, libuv accepts with its reserve descriptor and closes at once (its EMFILE
    // trick, so the listener does not spin); Node reports EMFILE as a server error only when
    // that fails too, and the hub logs it as accept-error. Either way: no #hello, a closed socket.
    await eventually(
      () => peers.every((peer) => peer.closed || peer.notices.length > 0),
      () => 'every connection to be welcomed or closed',
      10_000,
    );
    const welcomed = peers.filter((peer) => peer.notices.some((n) => n.startsWith('#hello'))).length;
    const turnedAway = peers.filter((peer) => peer.closed && peer.notices.length === 0).length;
    console.log(
      `EMFILE: ${openFds} fds open at start, ${wanted} connections tried, ${welcomed} welcomed, ` +
        `${turnedAway} closed without a word, ` +
        `${stderr.split('\n').filter((l) => l.includes('accept-error')).length} accept errors logged`,
    );
    expect(turnedAway).toBeGreaterThan(0);
    expect(welcomed + turnedAway).toBe(wanted);
    expect(child.exitCode).toBe(null);
    expect(stderr).not.toMatch(/internal-error|unexpected error/);

    for (const peer of peers) peer.destroy();
    // Every connection that was admitted leaves; then the hub has descriptors again.
    await eventually(
      () => readdirSync(`/proc/${pid}/fd`).length <= openFds + 2,
      () => `the hub's descriptors to be released (${readdirSync(`/proc/${pid}/fd`).length} open)`,
      10_000,
    );
    await expectHealthyPair(port);
    expect(child.exitCode).toBe(null);
  }, 30_000);

  it('an accept error that Node does report (EMFILE as a server error) goes to the log, and accepting goes on', async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const errors: string[] = [];
    const accepted: Socket[] = [];
    let completed = false;
    const subscription = serverConnections(server, (error: NodeJS.ErrnoException) =>
      errors.push(error.code ?? '?'),
    ).subscribe({ next: (socket) => accepted.push(socket), complete: () => (completed = true) });
    try {
      server.emit('error', Object.assign(new Error('accept EMFILE'), { code: 'EMFILE', syscall: 'accept' }));
      const port = (server.address() as { port: number }).port;
      const client = connect({ host: '127.0.0.1', port });
      await eventually(
        () => accepted.length === 1,
        () => 'a connection after the error',
      );
      client.destroy();
      expect(errors).toEqual(['EMFILE']);
      expect(completed).toBe(false);
      expect(server.listening).toBe(true);
    } finally {
      subscription.unsubscribe();
      for (const socket of accepted) socket.destroy();
      server.close();
    }
  });
});
