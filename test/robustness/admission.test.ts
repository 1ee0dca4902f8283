import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { admissionKeyOf } from '../../src/crypto/admissionKey.ts';
import { answerChallenge } from '../../src/crypto/answerChallenge.ts';
import { FernetKey } from '../../src/crypto/fernetKey.ts';
import { KeyRing } from '../../src/crypto/keyRing.ts';
import { runBin, startBin, startTestClient, stopAll } from '../support/bins.ts';
import { startTestHub } from '../support/hub.ts';
import { RawSocket } from '../support/rawSocket.ts';
import { TcpProxy } from '../support/tcpProxy.ts';
import { OTHER_KEY, TEST_KEY, tempDir, testRing, tokenOf, writeTestKeyFile } from '../support/testKey.ts';
import { type TestCerts, testCertsOrSkip } from '../support/tlsCerts.ts';

// Admission and TLS over real sockets: the real hub bin on 127.0.0.1 (a port the OS picks),
// raw sockets that answer (or not) the challenge, and real clients.
vi.setConfig({ testTimeout: 40_000 });

const HUB_NAME = '127.0.0.1';
const publicKeyOf = (key: string) => admissionKeyOf(FernetKey.parse(key)).publicKey;

let dir: string;
let cleanup: () => void;
let certs: TestCerts | undefined;
let keyFile: string;
let otherKeyFile: string;
/** The key file of a group that has rotated: the new key first, the old one kept. */
let rotatedKeyFile: string;
/** Admits TEST_KEY's holders only. */
let admitTest: string;
/** Admits OTHER_KEY's holders only. */
let admitOther: string;
const sockets: RawSocket[] = [];
const proxies: TcpProxy[] = [];

beforeAll(() => {
  ({ dir, cleanup } = tempDir('fernet-chat-admit-'));
  certs = testCertsOrSkip(dir);
  keyFile = writeTestKeyFile(dir, 'chat.key');
  otherKeyFile = writeTestKeyFile(dir, 'other.key', OTHER_KEY);
  rotatedKeyFile = writeTestKeyFile(dir, 'rotated.key', `${OTHER_KEY}\n${TEST_KEY}`);
  admitTest = join(dir, 'admit-test.keys');
  writeFileSync(admitTest, `# the group's key\n${publicKeyOf(TEST_KEY)} # key 1\n`);
  admitOther = join(dir, 'admit-other.keys');
  writeFileSync(admitOther, `${publicKeyOf(OTHER_KEY)}\n`);
});
afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.destroy();
  for (const proxy of proxies.splice(0)) await proxy.close();
  await stopAll();
});
afterAll(() => cleanup());

const admitArgs = (file = admitTest, ...more: string[]) => ['--admit', file, '--hub-name', HUB_NAME, ...more];
const tlsArgs = () => (certs === undefined ? [] : ['--tls-cert', certs.hubCert, '--tls-key', certs.hubKey]);

/** A raw connection, over TLS when the hub has it. */
async function open(port: number, tls: boolean): Promise<RawSocket> {
  const socket = tls ? await RawSocket.openTls(port, certs!.ca) : await RawSocket.open(port);
  sockets.push(socket);
  return socket;
}

/** A raw connection that answers the challenge with `ring`'s keys and waits for `#hello`. */
async function member(port: number, tls: boolean, ring = testRing): Promise<RawSocket> {
  const socket = await open(port, tls);
  const challenge = await socket.waitForLine('#challenge ');
  const reply = answerChallenge(ring, challenge, HUB_NAME);
  if (!reply.ok) throw new Error(reply.message);
  await socket.write(`${reply.line}\n`);
  await socket.waitForLine('#hello ');
  return socket;
}

describe('a hub with --admit and TLS', () => {
  it('lets members chat and turns an outsider away before a byte of the room reaches it', async (context) => {
    if (certs === undefined) return context.skip();
    const hub = await startTestHub([...admitArgs(), ...tlsArgs()]);
    const alice = startTestClient(hub.port, keyFile, 'alice', '--tls-ca', certs.caFile);
    await alice.waitForLine('stderr', /^\* connected as #\d+, 1 online$/, 15_000);

    // The outsider holds another key: challenged, refused, and shown nothing of the room.
    const outsider = await open(hub.port, true);
    const challenge = await outsider.waitForLine('#challenge ');
    expect(challenge).toMatch(/^#challenge fernet-chat\/1 [A-Za-z0-9_-]{43} 127\.0\.0\.1$/);
    const refused = answerChallenge(new KeyRing([FernetKey.parse(OTHER_KEY)]), challenge, HUB_NAME);
    if (!refused.ok) throw new Error(refused.message);
    await outsider.write(`${refused.line}\n`);
    await outsider.waitForLine('#bye unauthorized');
    await hub.bin.waitForLine(
      'stderr',
      /event=unauthorized peer=\d+ remote=127\.0\.0\.1:\d+ why=unknown-key/,
    );

    const bob = startTestClient(hub.port, keyFile, 'bob', '--tls-ca', certs.caFile);
    await bob.waitForLine('stderr', /^\* connected as #\d+, 2 online$/, 15_000);
    alice.write('hello bob\n');
    await bob.waitForLine('stdout', /alice: hello bob/, 10_000);
    // Not even a count: the outsider got its challenge and its bye, nothing else, and no
    // member was told it came.
    await eventually(() => outsider.closed, 'the hub to close the outsider');
    expect(outsider.lines()).toEqual([challenge, '#bye unauthorized']);
    expect(alice.stderr).not.toMatch(/joined|2 online.*\n.*3 online/);
    expect(hub.bin.stderr.match(/event=join /g)).toHaveLength(2);
  });

  it('refuses an answer replayed from an earlier connection', async (context) => {
    if (certs === undefined) return context.skip();
    const hub = await startTestHub([...admitArgs(), ...tlsArgs()]);
    const first = await open(hub.port, true);
    const challenge = await first.waitForLine('#challenge ');
    const answer = answerChallenge(testRing, challenge, HUB_NAME);
    if (!answer.ok) throw new Error(answer.message);
    await first.write(`${answer.line}\n`);
    await first.waitForLine('#hello ');

    const replayer = await open(hub.port, true);
    const second = await replayer.waitForLine('#challenge ');
    expect(second).not.toBe(challenge); // a fresh nonce
    await replayer.write(`${answer.line}\n`);
    await replayer.waitForLine('#bye unauthorized');
    await hub.bin.waitForLine('stderr', /event=unauthorized .*why=bad-signature/);
    expect(replayer.lines().some((line) => line.startsWith('#hello'))).toBe(false);
  });

  it('lets a rotated key file in, whichever of its keys the hub admits', async (context) => {
    if (certs === undefined) return context.skip();
    const rotated = new KeyRing([FernetKey.parse(OTHER_KEY), FernetKey.parse(TEST_KEY)]);
    for (const admit of [admitTest, admitOther]) {
      const hub = await startTestHub([...admitArgs(admit), ...tlsArgs()]);
      await member(hub.port, true, rotated);
      const client = startTestClient(hub.port, rotatedKeyFile, 'carol', '--tls-ca', certs.caFile);
      await client.waitForLine('stderr', /^\* connected as #\d+, 2 online$/, 15_000);
      await stopAll();
    }
  });
  it('admits a member again over TLS when her connection comes back to another hub process', async (context) => {
    if (certs === undefined) return context.skip();
    const first = await startTestHub([...admitArgs(), ...tlsArgs()]);
    // The second hub is started before the first goes away, behind one proxy port: her first
    // retry reaches it, however long a loaded machine takes to start a hub.
    const second = await startTestHub([...admitArgs(), ...tlsArgs()]);
    const proxy = await TcpProxy.open(first.port);
    proxies.push(proxy);
    const alice = startTestClient(proxy.port, keyFile, 'alice', '--tls-ca', certs.caFile);
    await alice.waitForLine('stderr', /^\* connected as #\d+, 1 online$/, 15_000);
    first.bin.kill('SIGKILL');
    proxy.cut();
    await alice.waitForLine('stderr', '* lost the connection to the hub');
    proxy.retarget(second.port);
    proxy.restore();
    await alice.waitForLine('stderr', '* reconnected', 20_000);
    await second.bin.waitForLine('stderr', /event=admitted peer=1 /);
    const bob = startTestClient(second.port, keyFile, 'bob', '--tls-ca', certs.caFile);
    await bob.waitForLine('stderr', /^\* connected as #\d+, 2 online$/, 15_000);
    alice.write('back again\n');
    await bob.waitForLine('stdout', /alice: back again/, 10_000);
  }, 60_000);
});

describe('a hub with --admit', () => {
  it('says #bye unauthorized to a connection that does not answer in time', async () => {
    const hub = await startTestHub(admitArgs(admitTest, '--admit-timeout-seconds', '0.3'));
    const silent = await open(hub.port, false);
    await silent.waitForLine('#challenge ');
    await silent.waitForLine('#bye unauthorized');
    await hub.bin.waitForLine('stderr', /event=unauthorized .*why=late/);
    // An answer that comes now is too late: the connection is closed and nothing follows.
    const late = answerChallenge(testRing, silent.lines()[0]!, HUB_NAME);
    if (late.ok) await silent.write(`${late.line}\n`).catch(() => {});
    await eventually(() => silent.closed, 'the hub to close the silent connection');
    expect(silent.lines()).toHaveLength(2);
  });

  it('relays nothing a connection sends before its answer, and closes it', async () => {
    const hub = await startTestHub(admitArgs());
    const reader = await member(hub.port, false);
    const eager = await open(hub.port, false);
    await eager.waitForLine('#challenge ');
    await eager.write(`${tokenOf('before admission')}\n`);
    await eager.waitForLine('#bye unauthorized');
    await hub.bin.waitForLine('stderr', /event=unauthorized .*why=spoke-first/);
    // The member hears the next member's frame and nothing before it.
    const writer = await member(hub.port, false);
    const token = tokenOf('after admission');
    await writer.write(`${token}\n`);
    await reader.waitForLine(token);
    expect(reader.lines().filter((line) => line.startsWith('gAAAA'))).toEqual([token]);
  });

  it('makes every try cost flood control: tries from one address wait for its bucket', async () => {
    // Two lines' worth of burst for the address, then one line every 10 s: the third try's
    // answer is not even read before the admission timeout.
    const hub = await startTestHub(
      admitArgs(
        admitTest,
        '--flood-rate-per-address',
        '0.1',
        '--flood-burst-per-address',
        '2',
        '--admit-timeout-seconds',
        '1',
      ),
    );
    const tries = await Promise.all([0, 1, 2].map(() => open(hub.port, false)));
    for (const socket of tries) {
      const challenge = await socket.waitForLine('#challenge ');
      const wrong = answerChallenge(new KeyRing([FernetKey.parse(OTHER_KEY)]), challenge, HUB_NAME);
      if (wrong.ok) await socket.write(`${wrong.line}\n`);
      await socket.waitForLine('#bye unauthorized', 5_000);
    }
    const log = await eventually(() => {
      const reasons = hub.bin.stderr.match(/why=[a-z-]+/g) ?? [];
      return reasons.length >= 3 ? reasons.sort() : undefined;
    }, 'three unauthorized lines');
    expect(log).toEqual(['why=late', 'why=unknown-key', 'why=unknown-key']);
  });

  it('refuses to start with --framing chunk, in one line', async () => {
    const run = await runBin('hub', ['--port', '0', ...admitArgs(), '--framing', 'chunk']);
    expect(run.exit.code).toBe(2);
    expect(run.stderr.trim().split('\n')).toEqual([
      `fernet-chat-hub: admit = "${admitTest}" from --admit: cannot be used with --framing chunk: the seed's clients cannot answer the admission challenge`,
    ]);
  });

  it('tells a client whose keys it does not admit, and the client exits 1 without retrying', async () => {
    const hub = await startTestHub(admitArgs());
    const run = await runClientToExit([
      '--host',
      '127.0.0.1',
      '--port',
      String(hub.port),
      '--key-file',
      otherKeyFile,
      '--name',
      'eve',
    ]);
    expect(run.exit.code).toBe(1);
    expect(run.stderr).toContain(
      `fernet-chat-client: the hub at 127.0.0.1:${hub.port} did not admit us: none of the keys in our key file is on its --admit list, or the answer came too late`,
    );
  });

  it('is not answered by a client that reaches it by another name than the one it signs for', async () => {
    const hub = await startTestHub(['--admit', admitTest, '--hub-name', 'chat.example.org']);
    const run = await runClientToExit([
      '--host',
      '127.0.0.1',
      '--port',
      String(hub.port),
      '--key-file',
      keyFile,
      '--name',
      'al',
    ]);
    expect(run.exit.code).toBe(1);
    expect(run.stderr).toContain(
      'the hub calls itself chat.example.org, not 127.0.0.1: not answering its challenge (if that is its name, add --hub-name chat.example.org)',
    );
  });
});

describe('a hub without --admit', () => {
  it('says #hello at once, as always, and refuses #answer as an unknown command', async () => {
    const hub = await startTestHub();
    const peer = await open(hub.port, false);
    await peer.waitForLine('#hello ');
    const answer = answerChallenge(
      testRing,
      `#challenge fernet-chat/1 ${'A'.repeat(43)} ${HUB_NAME}`,
      HUB_NAME,
    );
    if (answer.ok) await peer.write(`${answer.line}\n`);
    await peer.waitForLine('#error unknown-command unknown command #answer');
  });
});

describe('a TLS hub under its connection limits', () => {
  it('counts connections still in their handshake against the per-address limit', async (context) => {
    if (certs === undefined) return context.skip();
    const hub = await startTestHub([...tlsArgs(), '--max-connections-per-address', '2']);
    // Two TCP connections that never start TLS hold the address's two places...
    const idle = await Promise.all([open(hub.port, false), open(hub.port, false)]);
    const third = await open(hub.port, false);
    await eventually(() => third.closed, 'the hub to drop the third connection at once');
    await hub.bin.waitForLine('stderr', /event=refused reason=too-many-connections remote=127\.0\.0\.1/);
    expect(idle.some((socket) => socket.closed)).toBe(false);
    // ...until one goes: then a member's TLS connection gets in. (A reset: one that half-closes
    // mid-handshake keeps its place until the handshake timeout, 10 s.)
    idle[0]!.socket.resetAndDestroy();
    // (The hub sees it close a moment later: until then the TLS connection is dropped, and tried again.)
    const retryOpen = async (): Promise<RawSocket> => {
      for (let tries = 0; tries < 100; tries++) {
        const socket = await open(hub.port, true).catch(() => undefined);
        if (socket !== undefined) return socket;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      throw new Error(`no place came free: ${hub.bin.stderr}`);
    };
    let member = await retryOpen();
    await member.waitForLine('#hello ');
    let other = idle[1]!;
    // Places come back as connections go, TLS ones too: nothing is counted twice or kept.
    for (let round = 0; round < 3; round++) {
      member.destroy();
      // (The first time, a plain socket still in its handshake: reset, as above.)
      if (round === 0) other.socket.resetAndDestroy();
      else other.destroy();
      [member, other] = await Promise.all([retryOpen(), retryOpen()]);
      await Promise.all([member, other].map((socket) => socket.waitForLine('#hello ')));
    }
  });
});

describe('TLS failures, in one line each', () => {
  const client = (port: number, ...more: string[]) =>
    runClientToExit([
      '--host',
      '127.0.0.1',
      '--port',
      String(port),
      '--key-file',
      keyFile,
      '--name',
      'al',
      ...more,
    ]);

  it('a client with the wrong CA', async (context) => {
    if (certs === undefined) return context.skip();
    const hub = await startTestHub(tlsArgs());
    const run = await client(hub.port, '--tls-ca', certs.otherCaFile);
    expect(run.exit.code).toBe(1);
    expect(run.stderr).toContain(
      `fernet-chat-client: cannot connect to the hub at 127.0.0.1:${hub.port} with TLS: its certificate is not signed by the CA in --tls-ca (is it the right CA file?)`,
    );
  });

  it('a certificate for another host name', async (context) => {
    if (certs === undefined) return context.skip();
    const hub = await startTestHub(['--tls-cert', certs.elsewhereCert, '--tls-key', certs.elsewhereKey]);
    const run = await client(hub.port, '--tls-ca', certs.caFile);
    expect(run.exit.code).toBe(1);
    expect(run.stderr).toMatch(
      /fernet-chat-client: cannot connect to the hub at 127\.0\.0\.1:\d+ with TLS: its certificate is not for 127\.0\.0\.1 \(.*; check --host\)/,
    );
  });

  it('a TLS client to a plain hub', async (context) => {
    if (certs === undefined) return context.skip();
    const hub = await startTestHub();
    const run = await client(hub.port, '--tls-ca', certs.caFile);
    expect(run.exit.code).toBe(1);
    expect(run.stderr).toContain(
      'with TLS: it does not speak TLS (a hub without --tls-cert? drop --tls, or check --port)',
    );
  });

  it('a plain client to a TLS hub', async (context) => {
    if (certs === undefined) return context.skip();
    const hub = await startTestHub(tlsArgs());
    const run = await client(hub.port, '--pong-timeout-seconds', '0.5', '--no-reconnect');
    expect(run.exit.code).toBe(1);
    expect(run.stderr).toContain(
      `nothing at 127.0.0.1:${hub.port} said #hello: is it a fernet-chat hub? (one with TLS needs --tls)`,
    );
  });
});

async function eventually<T>(
  check: () => T | undefined | false,
  what: string,
  timeoutMs = 5_000,
): Promise<T> {
  const { eventually: poll } = await import('../support/eventually.ts');
  return poll(check, what, timeoutMs);
}

/**
 * Runs a client whose input stays open (with input ended at once it would leave before the hub
 * had its say), to its exit.
 */
async function runClientToExit(
  args: readonly string[],
): Promise<{ exit: { code: number | null }; stderr: string }> {
  const bin = startBin('client', args);
  const exit = await bin.waitForExit(15_000);
  return { exit, stderr: bin.stderr };
}
