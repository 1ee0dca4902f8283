import { afterEach, describe, expect, it } from 'vitest';
import { type BinProcess, START_TIMEOUT_MS, stopAll, startTestClient } from '../support/bins.ts';
import { eventually } from '../support/eventually.ts';
import { startTestHub } from '../support/hub.ts';
import { useTestKeyFile } from '../support/testKey.ts';
import { Receiver } from './support/receiver.ts';

const key = useTestKeyFile();
afterEach(stopAll);

function startClient(port: number, name: string, ...more: string[]): BinProcess {
  return startTestClient(port, key.path, name, ...more);
}

describe('client reconnect', () => {
  it('says the hub is gone, retries with growing delays, queues what is typed (bounded) and sends it after reconnecting', async () => {
    const first = await startTestHub();
    const port = first.port;
    const alice = startClient(port, 'alice');
    await alice.waitForLine('stderr', '* connected as #1', START_TIMEOUT_MS);

    first.bin.kill('SIGKILL');
    await alice.waitForLine('stderr', `* lost the connection to the hub at 127.0.0.1:${port}`);
    // 102 lines while the hub is away: 100 wait, the last two are refused, the first with a
    // message and the second counted (it comes within a second of the first).
    for (let i = 0; i < 102; i++) alice.write(`line ${i}\n`);
    await alice.waitForLine('stderr', '! not connected and 100 lines already wait: this one was dropped');
    await alice.waitForLine('stderr', '! 1 more line dropped while not connected in the last second');
    await alice.waitForLine('stderr', '* 99 more lines queued while not connected in the last second');
    expect(alice.lines('stderr').filter((l) => l.includes('lines already wait'))).toHaveLength(1);
    await alice.waitForLine('stderr', '* 1 line queued, will be sent on reconnect');
    // Three attempts or more (0.5 + 1 + 2 s of backoff at most), each refused alike: one line
    // for the loss and one for the refusals, not two per attempt.
    await new Promise((resolve) => setTimeout(resolve, 4_000));
    const refused = /^\* cannot connect to the hub at 127\.0\.0\.1:\d+: connection refused .*; still trying$/;
    expect(
      alice.lines('stderr').filter((line) => refused.test(line)),
      alice.describe(),
    ).toHaveLength(1);
    expect(alice.lines('stderr').filter((line) => line.includes('lost the connection'))).toHaveLength(1);
    expect(alice.stderr).not.toMatch(/attempt/);

    // Hold alice still while the hub comes back and bob joins, so bob is there before she is.
    alice.kill('SIGSTOP');
    // No web listener: on a fixed --port it would take --port + 1, which another test may hold.
    const second = await startTestHub(['--port', String(port), '--no-web']);
    expect(second.port).toBe(port);
    const bob = startClient(port, 'bob');
    await bob.waitForLine('stderr', '* connected as #1', START_TIMEOUT_MS);
    alice.kill('SIGCONT');

    // Her next try is due within one backoff step of her last one before she was stopped,
    // however long the hub and bob took to start: 8 s at most by now, 16 s if a busy machine
    // made the lines above slow to come. Then she connects.
    await alice.waitForLine('stderr', '* reconnected', 20_000);
    await bob.waitForLine('stdout', 'alice: line 99', 10_000);
    const shown = bob.lines('stdout');
    expect(shown[0]).toBe('* alice joined');
    expect(shown.slice(1, 101)).toEqual(Array.from({ length: 100 }, (_, i) => `alice: line ${i}`));

    // The queued lines are said to be sent, and the reconnect is one line, with no "connected as".
    await alice.waitForLine('stderr', '* sent 100 lines queued while offline');
    expect(alice.lines('stderr').filter((line) => line.startsWith('* connected as'))).toHaveLength(1);

    // And the chat goes on both ways.
    bob.write('welcome back\n');
    await alice.waitForLine('stdout', 'bob: welcome back');
  }, 45_000);

  it('with --no-reconnect, says the connection was lost and exits 1', async () => {
    const hub = await startTestHub();
    const alice = startClient(hub.port, 'alice', '--no-reconnect');
    await alice.waitForLine('stderr', '* connected as #1', START_TIMEOUT_MS);
    hub.bin.kill('SIGKILL');
    const exit = await alice.waitForExit();
    expect(exit.code).toBe(1);
    expect(alice.lines('stderr')).toContain('fernet-chat-client: the connection to the hub was lost');
    expect(alice.stderr).not.toMatch(/reconnecting/);
  });

  it('keeps a line typed while the hub turns it away (hub-full) and sends it once admitted', async () => {
    const hub = await startTestHub(['--max-connections', '2']);
    const bob = startClient(hub.port, 'bob');
    await bob.waitForLine('stderr', '* connected as #1', START_TIMEOUT_MS);
    const filler = await Receiver.open(hub.port);
    await filler.waitForNotice('#hello ');

    const alice = startClient(hub.port, 'alice');
    await alice.waitForLine('stderr', '* the hub is closing the connection: hub-full', START_TIMEOUT_MS);
    alice.write('let me in\n');
    // At least one more attempt turned away after the line was typed.
    await eventually(
      () => hub.bin.lines('stderr').filter((l) => l.includes('reason=hub-full')).length >= 2,
      () => `a second refusal\n${hub.bin.describe()}`,
      10_000,
    );
    filler.destroy();
    await alice.waitForLine('stderr', '* connected as #', 10_000);
    await bob.waitForLine('stdout', 'alice: let me in', 5_000);
    expect(bob.lines('stdout').filter((l) => l === 'alice: let me in')).toHaveLength(1);
  }, 30_000);
});
