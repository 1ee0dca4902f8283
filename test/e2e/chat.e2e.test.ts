import { createServer, type Server } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { type BinProcess, runBin, stopAll, startTestClient } from '../support/bins.ts';
import { eventually } from '../support/eventually.ts';
import { startTestHub } from '../support/hub.ts';
import { RawSocket } from '../support/rawSocket.ts';
import { envelope, OTHER_KEY, tempDir, testRing, tokenOf, writeTestKeyFile } from '../support/testKey.ts';

// End to end over real TCP on 127.0.0.1: the real hub bin on a port the OS picks, real client
// processes with piped stdin (chat lines on stdout, status and warnings on stderr).

// Each test starts several node processes; on a busy machine that alone can take seconds.
vi.setConfig({ testTimeout: 40_000 });

let dir: string;
let cleanup: () => void;
let keyFile: string;
let otherKeyFile: string;
const sockets: RawSocket[] = [];
const servers: Server[] = [];

beforeAll(() => {
  ({ dir, cleanup } = tempDir('fernet-chat-e2e-'));
  keyFile = writeTestKeyFile(dir, 'chat.key');
  otherKeyFile = writeTestKeyFile(dir, 'other.key', OTHER_KEY);
});
afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.destroy();
  for (const server of servers.splice(0)) server.close();
  await stopAll();
});
afterAll(() => cleanup());

function startClient(
  port: number,
  name: string,
  options: { key?: string; args?: string[] } = {},
): BinProcess {
  return startTestClient(port, options.key ?? keyFile, name, ...(options.args ?? []));
}

async function openRaw(port: number, options: { allowHalfOpen?: boolean } = {}): Promise<RawSocket> {
  const socket = await RawSocket.open(port, '127.0.0.1', options);
  sockets.push(socket);
  return socket;
}

/** Waits for the client's `* connected as #id, n online` and returns n. */
async function onlineWhenConnected(client: BinProcess): Promise<number> {
  // Generous: starting node with tsx takes a while on a loaded machine.
  const line = await client.waitForLine('stderr', /^\* connected as #\d+, \d+ online$/, 15_000);
  return Number(/(\d+) online/.exec(line)![1]);
}

/** A port nothing listens on (the OS gave it to us a moment ago). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** The plaintext of a token of the test key, or '' for anything else. */
function plaintextOf(line: string): string {
  try {
    return testRing.decrypt(line).toString('utf8');
  } catch {
    return '';
  }
}

/** Chat lines `sender: text` on a client's stdout. */
function chatLines(client: BinProcess): { from: string; text: string }[] {
  return client
    .lines('stdout')
    .map((line) => /^([^*:][^:]*): (.*)$/.exec(line))
    .filter((m) => m !== null)
    .map((m) => ({ from: m[1]!, text: m[2]! }));
}

describe('three clients chatting through the hub', () => {
  it('each shows the other two’s messages in order, never its own, and the hub relays only ciphertext', async () => {
    const hub = await startTestHub();
    // A passive listener: connected first, it gets every frame any client sends.
    const tap = await openRaw(hub.port);
    await tap.waitForLine(/^#hello fernet-chat\/1 \d+ 1 /);

    const names = ['alice', 'bob', 'carol'];
    const clients = new Map(names.map((name) => [name, startClient(hub.port, name)]));
    // The order in which the hub took them: each sees the joins of those after it.
    const online = new Map<string, number>();
    for (const [name, client] of clients) online.set(name, await onlineWhenConnected(client));
    const joinOrder = [...names].sort((a, b) => online.get(a)! - online.get(b)!);
    expect(joinOrder.map((name) => online.get(name))).toEqual([2, 3, 4]);
    for (const [rank, name] of joinOrder.entries()) {
      for (const later of joinOrder.slice(rank + 1))
        await clients.get(name)!.waitForLine('stdout', `* ${later} joined`);
    }

    // Plaintext made of base64url characters only, so that finding it in ciphertext would mean something.
    const said = new Map(names.map((name) => [name, [0, 1, 2].map((i) => `Secret${name}Line${i}x7Q`)]));
    said.get('alice')!.push('olá mundo 🎉 with spaces');
    for (const i of [0, 1, 2, 3]) {
      for (const [name, client] of clients) {
        const text = said.get(name)![i];
        if (text !== undefined) client.write(`${text}\n`);
      }
    }

    for (const [name, client] of clients) {
      const expected = names.filter((other) => other !== name).flatMap((other) => said.get(other)!);
      await client.waitForLine('stdout', said.get(name === 'bob' ? 'carol' : 'bob')!.at(-1)!);
      for (const text of expected) await client.waitForLine('stdout', text);
      const lines = chatLines(client);
      expect(
        lines.filter((line) => line.from === name),
        `${name} shows its own`,
      ).toEqual([]);
      for (const other of names.filter((n) => n !== name)) {
        const texts = lines.filter((line) => line.from === other).map((line) => line.text);
        expect(texts, `${name} shows ${other}`).toEqual(said.get(other));
      }
      expect(client.stderr).not.toContain('!');
      expect(client.stdout).not.toContain(`${name}> `); // piped: no prompt
    }

    // End the clients one after another: each leaves cleanly and the others see it.
    const remaining = [...joinOrder];
    for (const name of joinOrder) {
      const client = clients.get(name)!;
      client.endInput();
      expect((await client.waitForExit()).code, client.describe()).toBe(0);
      remaining.shift();
      for (const other of remaining) await clients.get(other)!.waitForLine('stdout', `* ${name} left`);
    }

    // The hub logged the joins and leaves as one-line records. It logs a leave when it sees the
    // connection close, which can come a moment after the client's exit: wait for the last one.
    await eventually(
      () => hub.bin.lines('stderr').filter((r) => / event=leave .*reason=quit/.test(r)).length >= 3,
      () => `three leaves in the hub's log\n${hub.bin.describe()}`,
    );
    const records = hub.bin.lines('stderr');
    const value = String.raw`("([^"\\]|\\.)*"|[^\s"=]+)`;
    for (const record of records)
      expect(record).toMatch(new RegExp(`^ts=\\S+ event=[a-z-]+( [A-Za-z]+=${value})*$`));
    expect(records.filter((r) => / event=join /.test(r))).toHaveLength(4);
    expect(records.filter((r) => / event=leave .*reason=quit/.test(r))).toHaveLength(3);

    // What the hub relayed: three joins, ten messages, three leaves, as tokens the key opens; and
    // the answers to joins (a join reaches whoever is up by then, so their number varies).
    const isAnswer = (line: string) => plaintextOf(line).includes('"here":true');
    const tokens = await tap.waitForLines(16, (line) => !line.startsWith('#') && !isAnswer(line));
    expect(tokens).toHaveLength(16);
    expect(tap.lines().filter(isAnswer).length).toBeGreaterThanOrEqual(3);
    const envelopes = tokens.map((token) => JSON.parse(testRing.decrypt(token).toString('utf8')));
    expect(
      envelopes
        .filter((e) => e.kind === 'message')
        .map((e) => e.text)
        .sort(),
    ).toEqual([...said.values()].flat().sort());
    expect(
      envelopes
        .filter((e) => e.kind === 'join')
        .map((e) => e.from)
        .sort(),
    ).toEqual(names);
    expect(envelopes.filter((e) => e.kind === 'leave').map((e) => e.from)).toEqual(joinOrder);
    // The last #left follows the last leave token (it is sent once the hub sees the close).
    await tap.waitForLines(3, (line) => line.startsWith('#left'));
    expect(tap.lines().filter((line) => line.startsWith('#left'))).toHaveLength(3);

    // …and not one byte of plaintext. The texts are long enough that finding one even inside the
    // ciphertext would mean something. A short word like "bob" turns up in 16 random tokens about
    // one time in 60, so the words are looked for everywhere but in the tokens (which, as above,
    // are all tokens of the key).
    const relayed = tap.received.toString('latin1');
    for (const text of [...said.values()].flat()) {
      expect(relayed).not.toContain(text);
      expect(tap.received.includes(Buffer.from(text))).toBe(false);
    }
    // (The answers to joins are tokens of the key too, and just as likely to hold "bob".)
    const everyToken = [...tokens, ...tap.lines().filter(isAnswer)];
    const besideTokens = everyToken.reduce((rest, token) => rest.replace(token, ''), relayed);
    for (const word of [...names, '"kind"', 'message', 'olá']) expect(besideTokens).not.toContain(word);
  });
});

describe('a client with another key', () => {
  it('sees warnings for every token and no plaintext, while one with the key gets every line', async () => {
    const hub = await startTestHub();
    // Mallory and bob first, so that they are there for all of alice's frames.
    const mallory = startClient(hub.port, 'mallory', { key: otherKeyFile });
    const bob = startClient(hub.port, 'bob');
    await Promise.all([onlineWhenConnected(mallory), onlineWhenConnected(bob)]);
    // No earlier messages for alice: mallory's join, which the hub keeps, would be one she cannot read.
    const alice = startClient(hub.port, 'alice', { args: ['--history', '0'] });
    await onlineWhenConnected(alice);
    // Piped input that ends at once: everything is still sent before the client exits 0.
    const lines = Array.from({ length: 20 }, (_, i) => `TopSecretPlan${i}`);
    alice.write(lines.map((line) => `${line}\n`).join(''));
    alice.endInput();
    expect((await alice.waitForExit()).code, alice.describe()).toBe(0);
    await bob.waitForLine('stdout', '* alice left');
    expect(chatLines(bob)).toEqual(lines.map((text) => ({ from: 'alice', text })));

    // One warning line for the first token, then counts (`! 21 more unreadable messages …`).
    const FIRST = '! unreadable message: not encrypted with any of our keys, or tampered with';
    const COUNTED =
      /^! (\d+) more unreadable messages? \(not encrypted with any of our keys, or tampered with\) in the last second$/;
    const warned = () => mallory.lines('stderr').filter((line) => line.startsWith('!'));
    const unreadable = () =>
      warned().reduce((sum, line) => sum + (line === FIRST ? 1 : Number(COUNTED.exec(line)?.[1] ?? 0)), 0);
    await eventually(
      // Bob's join too, when he connected after her.
      () => unreadable() >= 22,
      () => `22 unreadable tokens (join, 20 lines, leave)\n${mallory.describe()}`,
    );
    for (const line of warned()) expect(line === FIRST || COUNTED.test(line), line).toBe(true);
    expect(mallory.stdout).toBe('');
    expect(mallory.stderr).not.toContain('TopSecret');
    expect(alice.stderr).not.toContain('unreadable');
    mallory.endInput();
    expect((await mallory.waitForExit()).code).toBe(0);
    await bob.waitForLine('stderr', '! unreadable message');
  });
});

describe('bins that stop at once', () => {
  // One test, so that the six processes start together: each costs a node start-up.
  it('say why in one line: cannot connect or listen (exit 1), bad flags (exit 2); --help (exit 0)', async () => {
    // The taken port first: asked for afterwards, the OS could hand the closed one out again.
    const taken = createServer();
    servers.push(taken);
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const { port: takenPort } = taken.address() as { port: number };
    const refused = await closedPort();
    const client = ['--host', '127.0.0.1', '--port', String(refused), '--key-file', keyFile, '--name', 'x'];
    // Six node start-ups at once on a busy machine: give each its time.
    const run = (name: 'hub' | 'client', args: string[]) => runBin(name, args, {}, 30_000);
    const [noHub, inUse, badValue, unknown, hubHelp, clientHelp] = await Promise.all([
      run('client', client),
      run('hub', ['--host', '127.0.0.1', '--port', String(takenPort)]),
      run('hub', ['--port', 'abc']),
      run('hub', ['--bogus']),
      run('hub', ['--help']),
      run('client', ['--help']),
    ]);

    expect(noHub.exit.code).toBe(1);
    expect(noHub.stderr).toBe(
      `fernet-chat-client: cannot connect to the hub at 127.0.0.1:${refused}: connection refused (is the hub running? check --host and --port)\n`,
    );
    expect(inUse.exit.code).toBe(1);
    expect(inUse.stderr).toBe(
      `fernet-chat-hub: cannot listen on 127.0.0.1:${takenPort}: the address is already in use (is another hub running? try --port)\n`,
    );
    expect(badValue.exit.code).toBe(2);
    expect(badValue.stderr).toMatch(
      /^fernet-chat-hub: port = "abc" from --port: must be a whole number from 0 to 65535\n$/,
    );
    expect(unknown.exit.code).toBe(2);
    expect(unknown.stderr).toBe('fernet-chat-hub: unknown option --bogus (see fernet-chat-hub --help)\n');
    for (const run of [noHub, inUse, badValue, unknown]) expect(run.stdout).toBe('');

    for (const run of [hubHelp, clientHelp]) {
      expect(run.exit.code, run.stderr).toBe(0);
      expect(run.stdout).toMatch(/--port NUMBER .*\(default: 10101\) \[FERNET_CHAT_(HUB|CLIENT)_PORT\]/);
      expect(run.stdout).toMatch(/--framing line\|chunk .*\[FERNET_CHAT_(HUB|CLIENT)_FRAMING\]/);
    }
    expect(hubHelp.stdout).toMatch(/^Usage: fernet-chat-hub/);
    expect(clientHelp.stdout).toMatch(
      /--key-file STRING .*\(default: "chat.key"\) \[FERNET_CHAT_CLIENT_KEY_FILE\]/,
    );
    expect(clientHelp.stdout).toMatch(/--name STRING .*\[FERNET_CHAT_CLIENT_NAME\]/);
  });
});

describe('hub shutdown', () => {
  it('on SIGTERM tells every client why (#bye shutdown); the clients exit 1 and the hub exits 0', async () => {
    const hub = await startTestHub();
    const raw = await openRaw(hub.port);
    const clients = ['alice', 'bob'].map((name) => startClient(hub.port, name, { args: ['--no-reconnect'] }));
    await Promise.all(clients.map(onlineWhenConnected));
    hub.bin.kill('SIGTERM');
    expect((await hub.bin.waitForExit()).code, hub.bin.describe()).toBe(0);
    for (const client of clients) {
      await client.waitForLine('stderr', '* the hub is closing the connection: shutdown');
      expect((await client.waitForExit()).code, client.describe()).toBe(1);
      expect(client.lines('stderr')).toContain('fernet-chat-client: the connection to the hub was lost');
    }
    await raw.waitForLine('#bye shutdown');
    expect(hub.bin.stderr).toMatch(/event=signal signal=SIGTERM/);
    expect(hub.bin.stderr).toMatch(/event=shutdown reason=shutdown online=3/);
  });

  it('on SIGINT too: says #bye to a crowd that connected at once, and stops accepting while one lingers', async () => {
    const hub = await startTestHub();
    // A hundred connections in the same instant: no small accept backlog drops any of them.
    const crowd = await Promise.all(Array.from({ length: 100 }, () => openRaw(hub.port)));
    const lingering = await openRaw(hub.port, { allowHalfOpen: true });
    for (const socket of [...crowd, lingering]) await socket.waitForLine(/^#hello fernet-chat\/1 \d+ \d+ /);
    hub.bin.kill('SIGINT');
    for (const socket of [...crowd, lingering]) await socket.waitForLine('#bye shutdown');
    await eventually(
      () => crowd.every((socket) => socket.closed),
      () => 'the crowd to be closed',
    );
    // The hub waits for the one that keeps its side open, and meanwhile takes no one new.
    expect(hub.bin.exit).toBeUndefined();
    await expect(RawSocket.open(hub.port)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    lingering.destroy();
    expect((await hub.bin.waitForExit()).code, hub.bin.describe()).toBe(0);
    expect(hub.bin.stderr).toMatch(/event=signal signal=SIGINT/);
  });
});

describe('a peer sending garbage', () => {
  it('gets #error notices while the hub keeps relaying for the others, and its reset disturbs no one', async () => {
    const hub = await startTestHub();
    const alice = startClient(hub.port, 'alice');
    const bob = startClient(hub.port, 'bob');
    await Promise.all([onlineWhenConnected(alice), onlineWhenConnected(bob)]);
    const garbage = await openRaw(hub.port);
    const listener = await openRaw(hub.port);
    await garbage.waitForLine(/^#hello /);
    await listener.waitForLine(/^#hello /);

    await garbage.write(Buffer.from([0x00, 0xff, 0xfe, 0x0a, 0x80, 0x81, 0x0d, 0x0a]));
    await garbage.write('hello, is this thing on?\n#shout everyone\n');
    await garbage.write(`${'A'.repeat(70_000)}\n`);
    await garbage.write(`gAAAAA${'x'.repeat(94)}\n`); // token-like, but of a length no token has
    // A good token between bad frames, in one write: it alone is relayed, byte for byte.
    const token = tokenOf(
      envelope({ from: 'carol', text: 'ViaRawSocket' }),
      testRing,
      Math.floor(Date.now() / 1000),
    );
    await garbage.write(`junk\n${token}\r\n#nope\n`);
    await garbage.write('no line end yet');
    await alice.waitForLine('stdout', 'carol: ViaRawSocket');
    await bob.waitForLine('stdout', 'carol: ViaRawSocket');
    await listener.waitForLine(token);
    // Nothing else of the garbage came through: whatever is not a notice is a token of the key.
    const relayed = listener.lines().filter((line) => !line.startsWith('#'));
    expect(relayed.filter((line) => line === token)).toHaveLength(1);
    for (const line of relayed) expect(plaintextOf(line), line).not.toBe('');

    alice.write('StillWorking1\n');
    await bob.waitForLine('stdout', 'alice: StillWorking1');
    const errors = await garbage.waitForLines(8, (line) => line.startsWith('#error '));
    expect(errors.map((line) => line.split(' ').slice(0, 2).join(' '))).toEqual([
      '#error bad-frame',
      '#error bad-frame',
      '#error bad-frame',
      '#error unknown-command',
      '#error frame-too-large',
      '#error bad-frame',
      '#error bad-frame',
      '#error unknown-command',
    ]);
    expect(errors[3]).toBe('#error unknown-command unknown command #shout');
    // The garbage socket is still a peer: it gets alice's token too.
    await garbage.waitForLines(1, (line) => plaintextOf(line).includes('StillWorking1'));

    // #ping (even with CRLF) is answered with #pong, to the one who asked. (The LF first ends
    // the unfinished line above, one more bad frame.)
    await garbage.write('\n#ping\r\n');
    await garbage.waitForLine('#pong');
    expect(listener.lines()).not.toContain('#pong');

    // A frame written just before its sender hangs up is still relayed.
    const quick = await openRaw(hub.port);
    await quick.waitForLine(/^#hello /);
    const last = tokenOf(
      envelope({ from: 'dave', text: 'LastWords' }),
      testRing,
      Math.floor(Date.now() / 1000),
    );
    quick.socket.end(`${last}\n`);
    await alice.waitForLine('stdout', 'dave: LastWords');

    // A connection reset is a leave like any other; the others go on.
    garbage.socket.resetAndDestroy();
    await hub.bin.waitForLine('stderr', /event=leave .*reason=econnreset/);
    bob.write('StillWorking2\n');
    await alice.waitForLine('stdout', 'bob: StillWorking2');
    for (const client of [alice, bob]) expect(client.stderr).not.toMatch(/^!/m);
    expect(hub.bin.exit).toBeUndefined();
    expect(hub.bin.stderr).toMatch(/event=reject .*code=frame-too-large/);
  });
});
