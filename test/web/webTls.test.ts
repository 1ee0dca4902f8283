import { get as httpGet } from 'node:http';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { admissionKeyOf } from '../../src/crypto/admissionKey.ts';
import { FernetKey } from '../../src/crypto/fernetKey.ts';
import { readTlsFiles } from '../../src/hub/tlsFiles.ts';
import { startWebServer } from '../../src/hub/webServer.ts';
import { WebAdmission } from '../../src/crypto/webAdmission.ts';
import { startTestClient, stopAll } from '../support/bins.ts';
import { eventually } from '../support/eventually.ts';
import { startTestHub } from '../support/hub.ts';
import {
  envelope,
  OTHER_KEY,
  TEST_KEY,
  tempDir,
  testRing,
  tokenOf,
  writeTestKeyFile,
} from '../support/testKey.ts';
import { type TestCerts, testCertsOrSkip } from '../support/tlsCerts.ts';
import { WsPeer } from './support/wsPeer.ts';

// The web listener with the hub's --tls-cert/--tls-key (https and wss) and --admit, over real
// sockets: the real hub bin, a `ws` client trusting the throwaway CA and answering the
// challenge on Web Crypto as the page does, and a terminal client over TLS.
vi.setConfig({ testTimeout: 40_000 });

let dir: string;
let cleanup: () => void;
let certs: TestCerts | undefined;
let keyFile: string;
let admitFile: string;
const peers: WsPeer[] = [];

beforeAll(() => {
  ({ dir, cleanup } = tempDir('fernet-chat-webtls-'));
  certs = testCertsOrSkip(dir);
  keyFile = writeTestKeyFile(dir, 'chat.key');
  admitFile = join(dir, 'admit.keys');
  writeFileSync(admitFile, `${admissionKeyOf(FernetKey.parse(TEST_KEY)).publicKey}\n`);
});
afterEach(async () => {
  for (const peer of peers.splice(0)) peer.ws.terminate();
  await stopAll();
});
afterAll(() => cleanup());

async function tlsHub(...more: string[]): Promise<{ port: number; webUrl: URL; stderr: () => string }> {
  const hub = await startTestHub(['--tls-cert', certs!.hubCert, '--tls-key', certs!.hubKey, ...more]);
  const line = await hub.bin.waitForLine('stderr', /event=web-listening url=/, 10_000);
  return { port: hub.port, webUrl: new URL(/url=(\S+)/.exec(line)![1]!), stderr: () => hub.bin.stderr };
}

/** A WebSocket over wss to the hub's page origin, trusting the test CA. */
async function wssPeer(webUrl: URL, origin = webUrl.origin): Promise<WsPeer> {
  const peer = await WsPeer.open(`wss://${webUrl.host}/ws`, { origin, ca: certs!.ca });
  peers.push(peer);
  return peer;
}

describe('the web listener with TLS', () => {
  it('serves https and wss with the hub certificate: a browser-like peer admitted by its Web Crypto answer chats with a TLS terminal client', async (context) => {
    if (certs === undefined) return context.skip();
    const hub = await tlsHub('--admit', admitFile, '--hub-name', '127.0.0.1');
    expect(hub.webUrl.protocol).toBe('https:');

    // The page's own origin is https now; the Origin check still takes it.
    const web = await wssPeer(hub.webUrl);
    const challenge = await web.waitForNotice('#challenge ');
    const admission = await WebAdmission.import([FernetKey.parse(TEST_KEY)]);
    const reply = await admission.answer(challenge, hub.webUrl.hostname);
    if (!reply.ok) throw new Error(reply.message);
    web.send(reply.line);
    await web.waitForNotice(/^#hello fernet-chat\/1 \d+ 1/);

    const tom = startTestClient(hub.port, keyFile, 'tom', '--tls-ca', certs.caFile);
    await tom.waitForLine('stderr', /^\* connected as #\d+, 2 online$/, 15_000);
    tom.write('hello over tls\n');
    // tom's join, then his line: each a token of the room's key, relayed to the wss peer.
    await eventually(
      () =>
        web.others.some((token) => testRing.open(token).plaintext.toString().includes('"hello over tls"')),
      () => `tom's line; have ${web.others.length} frames`,
    );
    const now = new Date();
    web.send(
      tokenOf(
        envelope({ from: 'wendy', text: 'hello over wss', at: now.toISOString() }),
        testRing,
        Math.floor(now.getTime() / 1000),
      ),
    );
    await tom.waitForLine('stdout', /wendy: hello over wss$/, 10_000);

    // A peer whose key is not on the list is turned away on the same listener.
    const outsider = await wssPeer(hub.webUrl);
    const second = await outsider.waitForNotice('#challenge ');
    const wrong = await (await WebAdmission.import([FernetKey.parse(OTHER_KEY)])).answer(second, '127.0.0.1');
    if (!wrong.ok) throw new Error(wrong.message);
    outsider.send(wrong.line);
    await outsider.waitForNotice('#bye unauthorized');
  });

  it('refuses a foreign Origin and plain http on the https port, logging the latter once and then counting', async (context) => {
    if (certs === undefined) return context.skip();
    const hub = await tlsHub();
    // The http origin of the same host and port is not the page's: the page is https.
    await expect(wssPeer(hub.webUrl, `http://${hub.webUrl.host}`)).rejects.toThrow('HTTP 403');
    const plain = () =>
      new Promise<string>((resolve, reject) => {
        const request = httpGet(`http://${hub.webUrl.host}/`, (response) =>
          reject(new Error(`plain http got HTTP ${response.statusCode}`)),
        );
        request.on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
      });
    expect(await plain()).toMatch(/ECONNRESET|EPIPE/);
    await eventually(() => /event=tls-error remote=127\.0\.0\.1 /.test(hub.stderr()), 'a tls-error line');
    // What an outsider can repeat at will is counted, not logged line by line.
    for (let i = 0; i < 4; i++) await plain();
    await eventually(
      () => /event=tls-error remote=127\.0\.0\.1 .*count=4/.test(hub.stderr()),
      () => `the count of the 4 more; have ${hub.stderr()}`,
    );
    expect(hub.stderr().match(/event=tls-error/g)).toHaveLength(2);
  });

  it('counts a wss connection as pending only until it is a WebSocket, as over ws', async (context) => {
    if (certs === undefined) return context.skip();
    const web = await startWebServer({
      host: '127.0.0.1',
      port: 0,
      maxFrameBytes: 1024,
      extraOrigins: [],
      maxPendingPerAddress: 2,
      tls: readTlsFiles(certs.hubCert, certs.hubKey),
      log: () => {},
    });
    try {
      // Three at once from one address past a limit of two: each upgrade frees its slot (the
      // TLS socket that upgrades is not the TCP socket that was counted, but the same endpoint).
      for (let i = 0; i < 3; i++) await wssPeer(new URL(web.url));
    } finally {
      web.close();
    }
  });
});
