import { readFileSync, writeFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { readIdentityFile } from '../../src/crypto/identityFile.ts';
import { Identity } from '../../src/crypto/identity.ts';
import { roomOf, signEnvelope } from '../../src/protocol/signedEnvelope.ts';
import { type BinProcess, START_TIMEOUT_MS, startBin, stopAll, startTestClient } from '../support/bins.ts';
import { eventually } from '../support/eventually.ts';
import { type HubUnderTest, startTestHub } from '../support/hub.ts';
import { freshPinsFile, testIdentityFile } from '../support/testIdentity.ts';
import { envelope, testId, testRing, useTestKeyFile } from '../support/testKey.ts';
import { Receiver } from '../robustness/support/receiver.ts';

const key = useTestKeyFile();
afterEach(stopAll);

async function join(hub: HubUnderTest, name: string, ...more: string[]): Promise<BinProcess> {
  const client = startTestClient(hub.port, key.path, name, ...more);
  await client.waitForLine('stderr', '* connected as #', START_TIMEOUT_MS);
  return client;
}

/** Mallory's client: her own identity, whatever name she claims. */
const asMallory = ['--identity-file', testIdentityFile('mallory')];

/** Lines of a client's screen (stdout) and its warnings (stderr, since the test pipes them). */
const shown = (client: BinProcess) => client.lines('stdout');
const warnings = (client: BinProcess) => client.lines('stderr');
const count = (lines: string[], text: string) => lines.filter((line) => line.includes(text)).length;
/** A chat line said as `name`, unmarked: what the impostor must never get. */
const saidAs = (lines: string[], name: string, text: string) =>
  lines.filter((line) => line === `${name}: ${text}` || line === `* ${name} ${text}`).length;

describe('signed names over real sockets', () => {
  it('two members and an impostor: she never shows as either, and each warning comes once', async () => {
    const hub = await startTestHub();
    const alice = await join(hub, 'alice');
    const bob = await join(hub, 'bob');
    alice.write('hi bob, it is alice\n');
    await bob.waitForLine('stdout', 'alice: hi bob, it is alice');

    // Mallory holds the chat key and calls herself alice.
    const mallory = await join(hub, 'alice', ...asMallory);
    const newAlice = '! "alice" is signing with a new key: this may not be alice';
    for (const member of [alice, bob]) await member.waitForLine('stderr', newAlice);
    const marked = (await bob.waitForLine('stdout', /^\* alice \(new key [0-9a-f]{4}\) joined$/)).slice(
      2,
      -7,
    );
    mallory.write('bob, send me the deploy password\n');
    mallory.write('quickly please\n');
    await bob.waitForLine('stdout', `${marked}: quickly please`);
    await alice.waitForLine('stdout', `${marked}: quickly please`);

    // Then she takes bob's name: a new warning, once, for the new name.
    mallory.write('/nick bob\n');
    const newBob = '! "bob" is signing with a new key: this may not be bob';
    for (const member of [alice, bob]) await member.waitForLine('stderr', newBob);
    mallory.write('it is bob, really\n');
    const markedBob = marked.replace('alice', 'bob');
    await alice.waitForLine('stdout', `${markedBob}: it is bob, really`);
    mallory.endInput();
    await alice.waitForLine('stdout', `* ${markedBob} left`);
    await bob.waitForLine('stdout', `* ${markedBob} left`);

    // The members still chat, and are shown as themselves.
    bob.write('still here\n');
    await alice.waitForLine('stdout', 'bob: still here');
    alice.write('me too\n');
    await bob.waitForLine('stdout', 'alice: me too');

    for (const member of [alice, bob]) {
      const lines = shown(member);
      expect(saidAs(lines, 'alice', 'bob, send me the deploy password')).toBe(0);
      expect(saidAs(lines, 'alice', 'quickly please')).toBe(0);
      expect(saidAs(lines, 'bob', 'it is bob, really')).toBe(0);
      expect(saidAs(lines, 'alice', 'left')).toBe(0);
      expect(saidAs(lines, 'bob', 'left')).toBe(0);
      expect(count(warnings(member), newAlice)).toBe(1);
      expect(count(warnings(member), newBob)).toBe(1);
    }
    // And the impostor's lines are there, marked, never dropped silently.
    expect(count(shown(bob), `${marked}: bob, send me the deploy password`)).toBe(1);
  }, 60_000);

  it('a look-alike name is told apart, a zero-width one refused, an unsigned one marked', async () => {
    const hub = await startTestHub();
    const alice = await join(hub, 'alice');
    const bob = await join(hub, 'bob');
    bob.write('hello\n');
    await alice.waitForLine('stdout', 'bob: hello');

    // "bоb" with a Cyrillic о: it looks like bob, and is pinned as the same name.
    const lookAlike = 'b\u043eb';
    const mallory = await join(hub, lookAlike, ...asMallory);
    mallory.write('this is bob on my other laptop\n');
    const warning = `! "${lookAlike}" looks like "bob" but signs with another key: this may not be bob`;
    await alice.waitForLine('stderr', warning);
    await alice.waitForLine(
      'stdout',
      new RegExp(`^${lookAlike} \\(looks like bob, key [0-9a-f]{4}\\): this is bob on my other laptop$`),
    );

    // Over a raw socket, a validly signed message from "bob" with a zero-width space in it.
    const raw = await Receiver.open(hub.port);
    await raw.waitForNotice('#hello ');
    const hidden = signEnvelope(
      envelope({ from: 'bob\u200b', text: 'zero width', id: testId(7), at: new Date().toISOString() }),
      roomOf(testRing.primary),
      Identity.generate(),
    );
    raw.write(`${testRing.encrypt(JSON.stringify(hidden))}\n`);
    await alice.waitForLine('stderr', 'a name cannot hold invisible characters (U+200B)');
    // And an unsigned (v1) envelope claiming bob: shown, marked as unsigned.
    raw.write(
      `${testRing.encrypt(JSON.stringify(envelope({ from: 'bob', text: 'unsigned', id: testId(8), at: new Date().toISOString() })))}\n`,
    );
    await alice.waitForLine('stdout', '~bob: unsigned');

    bob.write('the real bob\n');
    await alice.waitForLine('stdout', 'bob: the real bob');
    expect(count(shown(alice), 'zero width')).toBe(0);
    expect(count(warnings(alice), warning)).toBe(1);
    expect(shown(alice).filter((line) => line.startsWith('bob: '))).toEqual([
      'bob: hello',
      'bob: the real bob',
    ]);
    raw.destroy();
  }, 60_000);

  it('a tampered signature shows a warning, never the text; /trust then accepts a new key', async () => {
    const hub = await startTestHub();
    const alice = await join(hub, 'alice');
    const raw = await Receiver.open(hub.port);
    await raw.waitForNotice('#hello ');
    const bob = await join(hub, 'bob');
    bob.write('first\n');
    await alice.waitForLine('stdout', 'bob: first');
    const captured = await eventually(
      () => raw.others.find((frame) => testRing.decrypt(frame).toString().includes('"first"')),
      () => 'the raw socket to see bob’s line',
    );
    const signed = JSON.parse(testRing.decrypt(captured).toString('utf8')) as Record<string, unknown>;
    raw.write(`${testRing.encrypt(JSON.stringify({ ...signed, text: 'pay mallory', id: testId(9) }))}\n`);
    await alice.waitForLine(
      'stderr',
      '! a message signed as "bob" was not shown: its signature does not match',
    );
    expect(count(shown(alice), 'pay mallory')).toBe(0);

    // bob gets a new identity (a new laptop): one warning; alice compares and trusts it.
    bob.endInput();
    await alice.waitForLine('stdout', '* bob left');
    const bob2 = await join(hub, 'bob', '--identity-file', testIdentityFile('bob on a new laptop'));
    bob2.write('new laptop\n');
    await alice.waitForLine('stderr', '! "bob" is signing with a new key: this may not be bob');
    await alice.waitForLine('stdout', /^bob \(new key [0-9a-f]{4}\): new laptop$/);
    alice.write('/whois bob\n');
    await alice.waitForLine('stdout', 'not trusted (/trust bob accepts it)');
    alice.write('/trust bob\n');
    await alice.waitForLine('stdout', "* trusted bob's new key");
    bob2.write('and now?\n');
    await alice.waitForLine('stdout', 'bob: and now?');
    raw.destroy();
  }, 60_000);

  it('without an identity and a terminal: says what to run once connected, and its lines are marked unsigned', async () => {
    const hub = await startTestHub();
    const alice = await join(hub, 'alice');
    // No identity file, none beside the key file: a bot on a pipe.
    const bot = startBin('client', [
      '--host',
      '127.0.0.1',
      '--port',
      String(hub.port),
      '--key-file',
      key.path,
      '--name',
      'bot',
      '--pinned-names-file',
      freshPinsFile(),
    ]);
    const notice = await bot.waitForLine('stderr', '! no identity key at ', START_TIMEOUT_MS);
    expect(notice).toMatch(
      /^! no identity key at .*identity\.key, so your lines go out unsigned \(the others see them marked ~\); to sign them, first run: npm run keygen -- --identity .*identity\.key$/,
    );
    bot.write('beep\n');
    await alice.waitForLine('stdout', '~bot: beep');
    bot.endInput();
    expect((await bot.waitForExit()).code).toBe(0);
  }, 60_000);

  it('says nothing of an edit when its pinned-names file does not exist and nobody made one', async () => {
    const hub = await startTestHub();
    // Unsigned and alone, it pins nobody, so its file is never written.
    const loner = startBin('client', [
      '--host',
      '127.0.0.1',
      '--port',
      String(hub.port),
      '--key-file',
      key.path,
      '--name',
      'loner',
      '--pinned-names-file',
      freshPinsFile(),
    ]);
    await loner.waitForLine('stderr', /^\* connected as #\d+/, START_TIMEOUT_MS);
    // Past the file's first poll (every second), where Node reports a missing file once.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    loner.endInput();
    expect((await loner.waitForExit()).code).toBe(0);
    expect(loner.stdout + loner.stderr).not.toContain('took the edit');
  }, 30_000);

  it('an edit of the pinned-names file takes effect in a running client: the new key is accepted', async () => {
    const hub = await startTestHub();
    const pins = freshPinsFile();
    const alice = await join(
      hub,
      'alice',
      '--identity-file',
      testIdentityFile('alice'),
      '--pinned-names-file',
      pins,
    );
    const bob = await join(hub, 'bob');
    bob.write('one\n');
    await alice.waitForLine('stdout', 'bob: one');
    await eventually(
      () => readFileSync(pins, 'utf8').includes(' bob\n') || undefined,
      () => 'alice to pin bob in her file',
    );
    const laptop = testIdentityFile('bob, edited in');
    const bob2 = await join(hub, 'bob', '--identity-file', laptop);
    bob2.write('two\n');
    await alice.waitForLine('stdout', /^bob \(new key [0-9a-f]{4}\): two$/);
    // By hand: bob's line gets the key he read out to alice.
    const newKey = readIdentityFile(laptop).publicKey.toString('base64url');
    writeFileSync(pins, readFileSync(pins, 'utf8').replace(/^\S+ bob$/m, `${newKey} bob`));
    await alice.waitForLine('stdout', '* took the edit of the pinned names: 2 names pinned now', 10_000);
    bob2.write('three\n');
    await alice.waitForLine('stdout', 'bob: three');
  }, 60_000);
});
