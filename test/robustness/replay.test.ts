import { afterEach, describe, expect, it } from 'vitest';
import { type BinProcess, START_TIMEOUT_MS, stopAll, startTestClient } from '../support/bins.ts';
import { eventually } from '../support/eventually.ts';
import { type HubUnderTest, startTestHub } from '../support/hub.ts';
import { envelope, testId, tokenOf, useTestKeyFile } from '../support/testKey.ts';
import { Receiver } from './support/receiver.ts';

const key = useTestKeyFile();
afterEach(stopAll);

async function startClient(hub: HubUnderTest, name: string, ...more: string[]): Promise<BinProcess> {
  const client = startTestClient(hub.port, key.path, name, ...more);
  await client.waitForLine('stderr', '* connected as #', START_TIMEOUT_MS);
  return client;
}

/** A raw connection that sends whatever tokens it likes: the attacker on the path, or a bad peer. */
async function eve(hub: HubUnderTest): Promise<Receiver> {
  const raw = await Receiver.open(hub.port);
  await raw.waitForNotice('#hello ');
  return raw;
}

const count = (lines: string[], text: string) => lines.filter((line) => line.includes(text)).length;
const unixNow = () => Math.floor(Date.now() / 1000);

describe('replay protection', () => {
  it('drops a captured token sent again: shown once, one warning for the replay', async () => {
    const hub = await startTestHub();
    const alice = await startClient(hub, 'alice');
    const bob = await startClient(hub, 'bob');
    const mallory = await eve(hub);

    bob.write('transfer 10 coins to mallory\n');
    await alice.waitForLine('stdout', 'bob: transfer 10 coins to mallory');
    const captured = await eventually(
      () => mallory.others.at(-1),
      () => 'mallory to capture bob’s token',
    );
    mallory.write(`${captured}\n`);
    await alice.waitForLine('stderr', '! dropped a repeated message (replay)');
    // One more message behind it, so that we know the replay was handled before we count.
    bob.write('that was all\n');
    await alice.waitForLine('stdout', 'bob: that was all');
    expect(count(alice.lines('stdout'), 'transfer 10 coins')).toBe(1);
    expect(count(alice.lines('stderr'), 'replay')).toBe(1);
    mallory.destroy();
  });
});

describe('token age (TTL, default 24 h) and clock skew (60 s)', () => {
  it('refuses a token older than the TTL and one over 60 s in the future, one warning line each', async () => {
    const hub = await startTestHub();
    const alice = await startClient(hub, 'alice');
    const mallory = await eve(hub);
    const now = unixNow();
    const token = (text: string, at: number, id: number) =>
      tokenOf(envelope({ from: 'eve', text, id: testId(id) }), undefined, at);

    mallory.write(`${token('from yesterday', now - 25 * 3600, 1)}\n`);
    mallory.write(`${token('from the future', now + 120, 2)}\n`);
    mallory.write(`${token('a little ahead', now + 30, 3)}\n`);
    mallory.write(`${token('an hour old', now - 3600, 4)}\n`);
    await alice.waitForLine('stdout', '~eve: an hour old');

    // eve's envelopes are v1: unsigned, so marked ~.
    expect(alice.lines('stdout')).toEqual(['~eve: a little ahead', '~eve: an hour old']);
    const warnings = alice.lines('stderr').filter((line) => line.startsWith('!'));
    expect(warnings).toEqual([
      '! unreadable message: too old (older than the TTL)',
      // How far ahead, and what to do about it (120 s, give or take the second it took to arrive).
      expect.stringMatching(
        /^! a message dated (1\d\d s|2 min) in the future: the sender's clock is fast \(they should sync it, e\.g\. with NTP\)$/,
      ),
    ]);
    mallory.destroy();
  });

  it('takes --ttl-seconds: 0 accepts any age (never the far future), a short TTL refuses sooner', async () => {
    const hub = await startTestHub();
    const anyAge = await startClient(hub, 'alice', '--ttl-seconds', '0');
    const strict = await startClient(hub, 'carol', '--ttl-seconds', '60');
    const mallory = await eve(hub);
    const now = unixNow();
    const token = (text: string, at: number, id: number) =>
      tokenOf(envelope({ from: 'eve', text, id: testId(id) }), undefined, at);
    mallory.write(`${token('from last year', now - 365 * 86_400, 1)}\n`);
    mallory.write(`${token('from the future', now + 3600, 2)}\n`);
    mallory.write(`${token('two minutes old', now - 120, 3)}\n`);
    mallory.write(`${token('fresh', now, 4)}\n`);
    await anyAge.waitForLine('stdout', '~eve: fresh');
    await strict.waitForLine('stdout', '~eve: fresh');
    const said = (client: BinProcess) => client.lines('stdout').filter((line) => line.startsWith('~eve:'));
    expect(said(anyAge)).toEqual(['~eve: from last year', '~eve: two minutes old', '~eve: fresh']);
    expect(count(anyAge.lines('stderr'), 'dated 60 min in the future')).toBe(1);
    expect(said(strict)).toEqual(['~eve: fresh']);
    expect(count(strict.lines('stderr'), 'too old')).toBe(2);
    expect(count(strict.lines('stderr'), 'dated 60 min in the future')).toBe(1);
    mallory.destroy();
  });
});
