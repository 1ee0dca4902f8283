/**
 * The bad-input table (README, "Bad input, and what happens"): each row's input, its defined outcome, and after it a
 * healthy pair of clients that still chat through the same hub. The hub is shared by the whole
 * file on purpose: it takes every row in turn, and must still relay after all of them.
 */
import { randomBytes } from 'node:crypto';
import { readdirSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { WARNING_WINDOW_MS } from '../../src/actors/quietWarnings.ts';
import { tokenShapeProblem } from '../../src/protocol/tokenShape.ts';
import { START_TIMEOUT_MS, startBin, runBin, stopAll, startTestClient } from '../support/bins.ts';
import { eventually } from '../support/eventually.ts';
import { type HubUnderTest, startTestHub } from '../support/hub.ts';
import {
  envelope,
  otherRing,
  tempDir,
  testId,
  testRing,
  tokenOf,
  writeTestKeyFile,
} from '../support/testKey.ts';
import { expectHealthyPair, rssKiB } from './support/healthy.ts';
import { tcpSocket } from './support/procNet.ts';
import { Receiver } from './support/receiver.ts';
import { shapedLine, shapedToken } from './support/shapedToken.ts';

let dir: string;
let cleanup: () => void;
let keyFile: string;
let hub: HubUnderTest;
/** Present through every row: nothing that is not a token may ever reach it. */
let watcher: Receiver;
/** Connections a test opened, closed after it whether it passed or not. */
const opened: Receiver[] = [];

beforeAll(async () => {
  ({ dir, cleanup } = tempDir());
  keyFile = writeTestKeyFile(dir);
  hub = await startTestHub();
  watcher = await Receiver.open(hub.port);
  await watcher.waitForNotice('#hello ');
});
afterEach(() => {
  for (const peer of opened.splice(0)) peer.destroy();
});
afterAll(async () => {
  // Whatever the rows sent, the watcher got nothing relayed that is not token-shaped, and the
  // shaped tokens of each sender in order.
  expect(
    watcher.others.filter((line) => tokenShapeProblem(Buffer.from(line, 'latin1')) !== undefined),
  ).toEqual([]);
  expect(watcher.problems).toEqual([]);
  watcher.destroy();
  await stopAll();
  cleanup();
});

async function welcomed(port = hub.port): Promise<Receiver> {
  const peer = await Receiver.open(port);
  opened.push(peer);
  await peer.waitForNotice('#hello ');
  return peer;
}

function idOf(peer: Receiver): number {
  return Number(peer.notices.find((n) => n.startsWith('#hello '))!.split(' ')[2]);
}

/** Sends `garbage` from a fresh connection, then one good frame, and returns the sender's notices. */
async function sendGarbage(garbage: Buffer | string, sender: number): Promise<Receiver> {
  const bad = await welcomed();
  bad.write(garbage);
  bad.write(shapedLine(sender, 0));
  await watcher.waitForCount(sender, 1, 10_000);
  expect(bad.closed).toBe(false);
  return bad;
}

const errorsOf = (peer: Receiver) => peer.notices.filter((n) => n.startsWith('#error '));

describe('bad input to the hub', () => {
  it('random binary: each line is refused with #error, nothing is relayed, the connection stays', async () => {
    // Random bytes, then an LF so that the good frame after them starts a line of its own.
    const bad = await sendGarbage(Buffer.concat([randomBytes(16 * 1024), Buffer.from('\n')]), 1);
    await eventually(() => errorsOf(bad).length > 0, 'the garbage sender to be told');
    for (const error of errorsOf(bad))
      expect(error).toMatch(
        /^#error (bad-frame not a Fernet token: |unknown-command unknown command|too-many-errors )/,
      );
    bad.destroy();
    await expectHealthyPair(hub.port);
  });

  it('NUL bytes: refused as not base64url, alone or inside an otherwise good token', async () => {
    const token = shapedToken(2, 99);
    const withNul = `${token.slice(0, 50)}\0${token.slice(51)}`;
    const bad = await sendGarbage(`\0\0\0\0\n${withNul}\n`, 2);
    await eventually(() => errorsOf(bad).length === 2, 'two errors');
    expect(errorsOf(bad)).toEqual([
      '#error bad-frame not a Fernet token: characters outside base64url',
      '#error bad-frame not a Fernet token: characters outside base64url',
    ]);
    expect(watcher.countFrom(2)).toBe(1); // the good frame only, not seq 99
    bad.destroy();
    await expectHealthyPair(hub.port);
  });

  it('a 256 MiB line with no LF: one #error frame-too-large, early; skipped to its LF; the connection stays', async () => {
    const pid = hub.bin.pid!;
    const before = rssKiB(pid);
    const bad = await welcomed();
    // Long enough that keeping it cannot hide in the garbage of reading it: each 64 KiB read is a
    // Buffer that only a GC frees, and V8 collects them once some tens of MiB have piled up. (With
    // a 10 MiB line, a hub that reads faster than this test writes had grown by the whole 10 MiB
    // of garbage when measured, without keeping a byte of it.)
    const MiB = 1024 * 1024;
    const lineMiB = 256;
    const chunk = Buffer.alloc(MiB, 'A');
    for (let i = 0; i < lineMiB; i++)
      if (!bad.write(chunk)) await new Promise((resolve) => bad.socket.once('drain', resolve));
    // Reported as soon as it is over the limit, without waiting for (or keeping) the rest.
    await bad.waitForNotice('#error frame-too-large ');
    const after = rssKiB(pid);
    bad.write('\n');
    bad.write(shapedLine(3, 0));
    await watcher.waitForCount(3, 1);
    expect(errorsOf(bad)).toHaveLength(1);
    // How much was seen when it was reported depends on how the reads were cut (64 KiB each here).
    expect(errorsOf(bad)[0]).toMatch(
      /^#error frame-too-large frame of \d+\+ bytes exceeds the limit of 65536$/,
    );
    console.log(`${lineMiB} MiB line: hub RSS ${before} → ${after} KiB`);
    expect(after - before).toBeLessThan((lineMiB / 2) * 1024); // it did not keep the line
    bad.destroy();
    await expectHealthyPair(hub.port);
  });

  it('invalid base64 and wrong lengths: #error bad-frame naming the problem, nothing relayed', async () => {
    const good = shapedToken(4, 99, 3); // 105 bytes: 140 characters, no padding
    const lines = [
      `${good.slice(0, 40)}+${good.slice(41)}`, // '+' is base64, not base64url
      `${good.slice(0, 40)}/${good.slice(41)}`,
      good.slice(0, -4), // a whole quad short
      `${good}AAAA`, // a length that is not 57 + 16k
      `hA${good.slice(2)}`, // version byte not 0x80
      'not base64 at all, just words',
    ];
    const bad = await sendGarbage(`${lines.join('\n')}\n`, 4);
    await eventually(
      () => errorsOf(bad).length === lines.length,
      () => `errors for every line, got ${errorsOf(bad)}`,
    );
    expect(errorsOf(bad)).toEqual([
      '#error bad-frame not a Fernet token: characters outside base64url',
      '#error bad-frame not a Fernet token: characters outside base64url',
      '#error bad-frame not a Fernet token: wrong length',
      '#error bad-frame not a Fernet token: wrong length',
      '#error bad-frame not a Fernet token: version byte is not 0x80',
      '#error bad-frame not a Fernet token: characters outside base64url',
    ]);
    expect(watcher.countFrom(4)).toBe(1);
    bad.destroy();
    await expectHealthyPair(hub.port);
  });

  it('an unknown #command: #error unknown-command, never relayed', async () => {
    const bad = await sendGarbage('#nick mallory\n#\n', 5);
    await eventually(() => errorsOf(bad).length === 2, 'two errors');
    expect(errorsOf(bad)).toEqual([
      '#error unknown-command unknown command #nick',
      '#error unknown-command unknown command #',
    ]);
    bad.destroy();
    await expectHealthyPair(hub.port);
  });

  it('a client that connects and sends nothing: harmless; keepalive pings it and closes it as idle', async () => {
    // Quick, but not so quick that the healthy pair below (which answers no #ping) could be
    // closed as idle while this test process is held up for a moment on a busy machine.
    const quick = await startTestHub(['--idle-seconds', '1', '--pong-timeout-seconds', '1']);
    const silent = await Promise.all(Array.from({ length: 20 }, () => welcomed(quick.port)));
    for (const peer of silent) await peer.waitForNotice('#bye idle', 10_000);
    for (const peer of silent) await peer.waitForClose();
    expect(silent.every((peer) => peer.notices.includes('#ping'))).toBe(true);
    await expectHealthyPair(quick.port);
    quick.bin.kill();
    // And on the shared hub (default 120 s) it just sits there while others chat.
    const sitting = await welcomed();
    await expectHealthyPair(hub.port);
    expect(sitting.closed).toBe(false);
    sitting.destroy();
  });

  it('a client that closes mid-frame: the partial frame is dropped, never relayed; it leaves as quit', async () => {
    const bad = await welcomed();
    const id = idOf(bad);
    bad.write(shapedLine(6, 0));
    bad.write(shapedToken(6, 1).slice(0, 60)); // half a token, no LF
    bad.socket.end();
    await watcher.waitForNotice(new RegExp(`^#left ${id} \\d+ quit$`));
    expect(watcher.countFrom(6)).toBe(1);
    await expectHealthyPair(hub.port);
  });

  it('a client that resets the connection (RST), mid-frame or not: it leaves as econnreset', async () => {
    for (const midFrame of [false, true]) {
      const bad = await welcomed();
      const id = idOf(bad);
      if (midFrame) {
        await new Promise((resolve) => bad.socket.write(shapedToken(7, 0).slice(0, 30), resolve));
        // Once the hub has read it: an RST that arrives with unread data in the hub's receive
        // queue is seen (by libuv, on Linux) as a plain end of stream, and the hub says `quit`.
        await eventually(
          () => tcpSocket(hub.port, bad.socket.localPort!)?.rxQueue === 0,
          'the hub to read the partial frame',
        );
      }
      bad.socket.resetAndDestroy();
      await watcher.waitForNotice(new RegExp(`^#left ${id} \\d+ econnreset$`));
    }
    expect(watcher.countFrom(7)).toBe(0);
    await hub.bin.waitForLine('stderr', /event=leave peer=\d+ reason=econnreset/);
    await expectHealthyPair(hub.port);
  });

  it('10,000 connect/disconnect cycles (ends, resets, some before the hub even answers): no leak, still relays', async () => {
    const pid = hub.bin.pid!;
    // The rows before have gone: the watcher is alone (its last #left says 1 online).
    await eventually(
      () => /^#left \d+ 1 /.test(watcher.notices.at(-1) ?? ''),
      () => `the watcher to be alone; last notice ${watcher.notices.at(-1)}`,
    );
    const fdsBefore = readdirSync(`/proc/${pid}/fd`).length;
    const rssBefore = rssKiB(pid);
    const started = performance.now();
    const cycles = 10_000;
    const batch = 250;
    let done = 0;
    for (let start = 0; start < cycles; start += batch) {
      await Promise.all(
        Array.from({ length: batch }, async (_, i) => {
          const peer = await Receiver.open(hub.port);
          const n = start + i;
          // A third wait for #hello, then end; a third reset at once; a third end at once.
          if (n % 3 === 0) await peer.waitForNotice('#hello ');
          if (n % 3 === 1) peer.socket.resetAndDestroy();
          else peer.socket.end();
          await peer.waitForClose(10_000);
          done++;
        }),
      );
    }
    const took = performance.now() - started;
    // Every one of them left: the hub is back to who was there before, its descriptors released.
    await eventually(
      () => readdirSync(`/proc/${pid}/fd`).length <= fdsBefore,
      () => `the hub's descriptors to go back to ${fdsBefore}, now ${readdirSync(`/proc/${pid}/fd`).length}`,
      10_000,
    );
    const probe = await welcomed();
    // The watcher and the probe; then the epoch and the newest frame.
    expect(probe.notices[0]).toMatch(new RegExp(`^#hello fernet-chat/1 ${idOf(probe)} 2 \\S+ \\S+$`));
    probe.destroy();
    const rssAfter = rssKiB(pid);
    console.log(
      `${done} connect/disconnect cycles in ${took | 0} ms; hub fds ${fdsBefore} → ${readdirSync(`/proc/${pid}/fd`).length}, RSS ${rssBefore} → ${rssAfter} KiB`,
    );
    // Past the per-address limit (1,000) many times over: a leaked count would refuse this pair.
    await expectHealthyPair(hub.port);
  }, 60_000);

  it('a bad config file: exit 2 with one line per problem naming the setting, and no hub', async () => {
    const cases: [string, string, RegExp][] = [
      [
        'not-json.json',
        '{ maxFrameBytes: 1 ',
        /^fernet-chat-hub: config file .*not-json\.json: not valid JSON \(/,
      ],
      [
        'array.json',
        '[1, 2]',
        /^fernet-chat-hub: config file .*array\.json: expected a JSON object of settings$/,
      ],
      [
        'unknown.json',
        '{"maxFrames": 1}',
        /^fernet-chat-hub: unknown setting "maxFrames" \(did you mean "maxFrameBytes"\?\) in .*unknown\.json; known: host, port, /,
      ],
      [
        'type.json',
        '{"maxFrameBytes": "big"}',
        /^fernet-chat-hub: maxFrameBytes = "big" in .*type\.json: must be a whole number from 128 to 16777216$/,
      ],
      [
        'range.json',
        '{"floodRate": -5}',
        /^fernet-chat-hub: floodRate = -5 in .*range\.json: must be a number of 0 or more$/,
      ],
      [
        // JSON.parse quotes the text it choked on: the newline and the escape must not reach the terminal.
        'binary.json',
        'x\n\r\x1b[31mred\x00\xff',
        /^fernet-chat-hub: config file .*binary\.json: not valid JSON \(.*x\\x0a\\x0d\\x1b\[31mred/,
      ],
    ];
    for (const [name, text] of cases) writeFileSync(join(dir, name), text, 'latin1');
    const two = join(dir, 'two.json');
    writeFileSync(two, '{"maxFrameBytes": 1, "idleSeconds": "soon"}');
    // All at once: each is a process start, slow on a busy machine.
    const SLOW_START = 30_000;
    const [runs, missing, both, client] = await Promise.all([
      Promise.all(
        cases.map(([name]) => runBin('hub', ['--config', join(dir, name), '--port', '0'], {}, SLOW_START)),
      ),
      runBin('hub', ['--config', join(dir, 'nowhere.json')], {}, SLOW_START),
      runBin('hub', ['--config', two], {}, SLOW_START),
      runBin('client', ['--config', join(dir, 'type.json')], {}, SLOW_START),
    ]);
    for (const [i, [name, , expected]] of cases.entries()) {
      const { exit, stdout, stderr } = runs[i]!;
      expect(exit.code, `${name}: ${stderr}`).toBe(2);
      expect(stdout).toBe('');
      const lines = stderr.split('\n').filter(Boolean);
      expect(lines, name).toHaveLength(1);
      expect(lines[0], name).toMatch(expected);
    }
    expect(missing.exit.code).toBe(2);
    expect(missing.stderr).toMatch(/config file .*nowhere\.json: no such file$/m);
    // Two problems, two lines.
    expect(both.exit.code).toBe(2);
    expect(
      both.stderr
        .split('\n')
        .filter(Boolean)
        .map((line) => line.split(' ')[1]),
    ).toEqual(['maxFrameBytes', 'idleSeconds']);
    // The client refuses a bad file the same way.
    expect(client.exit.code).toBe(2);
    expect(client.stderr).toMatch(/^fernet-chat-client: unknown setting "maxFrameBytes"/);
    await expectHealthyPair(hub.port);
  }, 60_000);
});

describe('bad input to the client', () => {
  let alice: ReturnType<typeof startBin>;
  let bob: ReturnType<typeof startBin>;
  let mallory: Receiver;

  const startClient = async (name: string, port = hub.port) => {
    const client = startTestClient(port, keyFile, name);
    await client.waitForLine('stderr', '* connected as #', START_TIMEOUT_MS);
    return client;
  };

  beforeAll(async () => {
    alice = await startClient('alice');
    bob = await startClient('bob');
    // Bob's join reaches alice a moment after bob says he is connected: wait for it, or it could
    // land among the lines the first row below counts as shown.
    await alice.waitForLine('stdout', '* bob joined');
    // Not among `opened`: mallory stays for every row of this block.
    mallory = await Receiver.open(hub.port);
    await mallory.waitForNotice('#hello ');
  }, 2 * START_TIMEOUT_MS);
  afterAll(() => mallory.destroy());

  let said = 0;
  /** Mallory sends a token; then bob says something, which alice must still show (and after it). */
  const SENTINEL_WARNING = '! unreadable message: too old (older than the TTL)';
  /** Every row sends the warned sentinel within a second of the last: then it is only counted. */
  const SENTINEL_COUNTED = /^! \d+ more unreadable messages? \(too old\) in the last second$/;
  const isSentinel = (line: string) => line === SENTINEL_WARNING || SENTINEL_COUNTED.test(line);
  /**
   * Mallory sends a token and, behind it, two sentinels: one alice shows (stdout) and one she
   * warns about (stderr). Once both are out, everything the token caused is too, on either pipe.
   * Then bob says something, which alice must still show.
   */
  async function aliceGets(token: string): Promise<{ shown: string[]; warned: string[] }> {
    const out = alice.lines('stdout').length;
    const err = alice.lines('stderr').length;
    const n = ++said;
    const now = Math.floor(Date.now() / 1000);
    const shownSentinel = tokenOf(envelope({ from: 'eve', text: `sentinel ${n}` }), testRing, now);
    const warnedSentinel = tokenOf(envelope({ from: 'eve', text: 'stale' }), testRing, now - 2 * 86_400);
    mallory.write(`${token}\n${shownSentinel}\n${warnedSentinel}\n`);
    await alice.waitForLine('stdout', `~eve: sentinel ${n}`);
    await eventually(
      () => alice.lines('stderr').slice(err).some(isSentinel),
      () => `the warning sentinel\n${alice.describe()}`,
    );
    const check = `check ${n}`;
    bob.write(`${check}\n`);
    await alice.waitForLine('stdout', `bob: ${check}`);
    const stdout = alice.lines('stdout').slice(out);
    const stderr = alice.lines('stderr').slice(err);
    return {
      shown: stdout.slice(0, stdout.indexOf(`~eve: sentinel ${n}`)),
      warned: stderr.slice(0, stderr.findIndex(isSentinel)),
    };
  }

  /**
   * Waits until alice has printed nothing on stderr for longer than her warning window: then
   * every window is closed, and the next warning of a kind she has just shown is shown as it is
   * rather than counted. (Only the windows' own length can tell; no event marks their end.)
   */
  async function aliceWindowsClosed(): Promise<void> {
    const quietMs = WARNING_WINDOW_MS + 500;
    let seen = alice.stderr.length;
    let since = Date.now();
    await eventually(
      () => {
        if (alice.stderr.length !== seen) [seen, since] = [alice.stderr.length, Date.now()];
        return Date.now() - since > quietMs;
      },
      () => `alice to be quiet on stderr for ${quietMs} ms\n${alice.describe()}`,
      10 * quietMs,
    );
  }

  const plain = (fields: Record<string, unknown>) =>
    tokenOf(
      JSON.stringify({
        v: 1,
        kind: 'message',
        from: 'eve',
        text: 'hi',
        id: testId(9),
        at: new Date().toISOString(),
        ...fields,
      }),
      testRing,
      Math.floor(Date.now() / 1000),
    );

  it('a valid-shape token of garbage: relayed by the hub (it cannot tell), one warning at the client', async () => {
    // The shape of a token of now, with random IV, ciphertext and HMAC.
    const bytes = Buffer.concat([Buffer.from([0x80]), Buffer.alloc(8), randomBytes(16 + 32 + 32)]);
    bytes.writeBigUInt64BE(BigInt(Math.floor(Date.now() / 1000)), 1);
    const garbage = `${bytes.toString('base64url')}=`; // 89 bytes: one = of padding
    expect(tokenShapeProblem(Buffer.from(garbage))).toBeUndefined();
    const { shown, warned } = await aliceGets(garbage);
    expect(watcher.others).toContain(garbage); // relayed byte for byte
    expect(shown).toEqual([]);
    expect(warned).toEqual(['! unreadable message: not encrypted with any of our keys, or tampered with']);
  });

  it('an envelope with wrong types: one warning naming the field, nothing shown', async () => {
    for (const [fields, field] of [
      [{ from: 42 }, 'from'],
      [{ text: ['a'] }, 'text'],
      [{ kind: 'shout' }, 'kind'],
      [{ v: 3 }, 'v'],
      // v2 is a signed envelope: without its key (and signature) it is malformed.
      [{ v: 2 }, 'key'],
      [{ id: 'not-a-uuid' }, 'id'],
      [{ at: 'yesterday' }, 'at'],
    ] as const) {
      const { shown, warned } = await aliceGets(plain(fields));
      expect(shown, field).toEqual([]);
      expect(warned, field).toHaveLength(1);
      expect(warned[0], field).toMatch(new RegExp(`^! malformed message: ${field}: `));
    }
  });

  it('an oversized or control-character name: one warning, nothing shown', async () => {
    // The rows before had a malformed `from` too: a second one within a second would be counted.
    await aliceWindowsClosed();
    const long = await aliceGets(plain({ from: 'x'.repeat(33) }));
    expect(long.shown).toEqual([]);
    expect(long.warned).toEqual(['! malformed message: from: a name has at most 32 characters']);
    await aliceWindowsClosed();
    const withEscape = await aliceGets(plain({ from: 'eve\x1b[2J' }));
    expect(withEscape.warned).toEqual([
      '! malformed message: from: a name cannot contain control characters',
    ]);
  });

  it('invalid UTF-8 inside a token: shown with U+FFFD in place of the bad bytes, never a crash', async () => {
    const now = Math.floor(Date.now() / 1000);
    const json = Buffer.concat([
      Buffer.from(
        JSON.stringify(envelope({ from: 'eve', text: 'PLACEHOLDER', id: testId(10) })).split(
          'PLACEHOLDER',
        )[0]!,
      ),
      Buffer.from([0xff, 0xfe, 0xc3]),
      Buffer.from(
        JSON.stringify(envelope({ from: 'eve', text: 'PLACEHOLDER', id: testId(10) })).split(
          'PLACEHOLDER',
        )[1]!,
      ),
    ]);
    const inEnvelope = await aliceGets(tokenOf(json, testRing, now));
    // eve's envelopes are v1: unsigned, so marked ~.
    expect(inEnvelope.shown).toEqual(['~eve: \ufffd\ufffd\ufffd']);
    const bare = await aliceGets(tokenOf(Buffer.from([0x68, 0x69, 0xff, 0x00]), testRing, now));
    expect(bare.shown).toEqual(['?: hi\ufffd\\x00']);
    expect(bare.warned).toEqual([]);
  });

  /** A fake hub on 127.0.0.1 that says #hello to its one client, then lets the test write to it. */
  async function fakeHub(): Promise<{ port: number; client: Promise<Socket>; close(): void }> {
    let peer: Socket | undefined;
    let connected: (socket: Socket) => void = () => {};
    const client = new Promise<Socket>((resolve) => (connected = resolve));
    const server: Server = createServer((socket) => {
      peer = socket;
      socket.on('error', () => {});
      socket.write('#hello fernet-chat/1 1 1\n');
      connected(socket);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return {
      port: (server.address() as { port: number }).port,
      client,
      close: () => {
        server.close();
        peer?.destroy();
      },
    };
  }

  it('random binary and NUL bytes from a hub that is not one: a warning, the client goes on', async () => {
    const fake = await fakeHub();
    try {
      const carol = await startClient('carol', fake.port);
      // No LF inside, and no '#' first: a line starting with '#' would be a notice, not a bad token.
      const noise = randomBytes(2048).map((b) => (b === 0x0a ? 0x20 : b));
      if (noise[0] === 0x23) noise[0] = 0x20;
      const garbage = Buffer.concat([
        noise,
        Buffer.from('\n\0\0\0\n'),
        Buffer.from(`${tokenOf('still readable', testRing, Math.floor(Date.now() / 1000))}\n`),
      ]);
      (await fake.client).write(garbage);
      await carol.waitForLine('stdout', '?: still readable');
      // The second bad line comes within a second of the first: it is counted, and the count is
      // shown before the message that followed it (on stderr, so waited for on its own).
      await carol.waitForLine('stderr', '! 1 more unreadable message (not a valid token) in the last second');
      const warned = carol.lines('stderr').filter((line) => line.startsWith('!'));
      expect(warned).toHaveLength(2);
      expect(warned[0]).toMatch(/^! unreadable message: not a valid token \(/);
      expect(carol.exit).toBeUndefined();
    } finally {
      fake.close();
    }
  });

  it('a flood of 20,000 bad lines from a hostile hub: a few warning lines whose counts add up, the client goes on', async () => {
    const fake = await fakeHub();
    try {
      const dave = await startClient('dave', fake.port);
      const now = Math.floor(Date.now() / 1000);
      const first = tokenOf(
        envelope({ from: 'eve', text: 'before the flood', id: testId(20) }),
        testRing,
        now,
      );
      const after = tokenOf(
        envelope({ from: 'eve', text: 'after the flood', id: testId(21) }),
        testRing,
        now,
      );
      const foreign = tokenOf(envelope({ from: 'mallory', text: 'x' }), otherRing, now);
      // Three kinds, interleaved: replays of a message dave has shown, tokens of another key, and
      // lines that are no token at all.
      const lines = [first];
      for (let i = 0; i < 20_000; i++) lines.push([first, foreign, 'not a token'][i % 3]!);
      lines.push(after);
      const hub = await fake.client;
      const started = Date.now();
      hub.write(`${lines.join('\n')}\n`);

      await dave.waitForLine('stdout', '~eve: after the flood', 30_000);
      const seconds = (Date.now() - started) / 1000;
      const warned = () => dave.lines('stderr').filter((line) => line.startsWith('!'));
      /** The first warning of a kind, and the counts of the rest (`! 41 more … in the last second`). */
      const total = (first: string, counted: RegExp) =>
        warned().reduce(
          (sum, line) => sum + (line.startsWith(first) ? 1 : Number(counted.exec(line)?.[1] ?? 0)),
          0,
        );
      const totals = () => ({
        replay: total('! dropped a repeated message (replay)', /^! (\d+) more repeated messages? dropped/),
        foreign: total(
          '! unreadable message: not encrypted',
          /^! (\d+) more unreadable messages? \(not encrypted with/,
        ),
        garbage: total(
          '! unreadable message: not a valid token',
          /^! (\d+) more unreadable messages? \(not a valid token\)/,
        ),
      });
      // The counts are written before the message that followed them, but on stderr: they may
      // reach the test a moment after stdout.
      const expected = { replay: 6667, foreign: 6667, garbage: 6666 };
      await eventually(
        () => JSON.stringify(totals()) === JSON.stringify(expected),
        () =>
          `counts adding up to ${JSON.stringify(expected)}, not ${JSON.stringify(totals())}\n${dave.describe()}`,
      );
      // Per kind: the first warning, one count a second while the flood lasts, one before the message.
      expect(warned().length, dave.describe()).toBeLessThanOrEqual(3 * (2 + Math.ceil(seconds)));
      expect(dave.lines('stdout')).toEqual(['~eve: before the flood', '~eve: after the flood']);
      expect(dave.exit).toBeUndefined();
    } finally {
      fake.close();
    }
  });
});
