import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { hubConfigSchema } from '../../src/config/hubConfig.ts';
import type { LogRecord } from '../../src/streams/hubEvent.ts';
import { type RunningHub, startHub } from '../../src/hub/startHub.ts';
import { BINARY_REFUSED, LINE_FEED_REFUSED } from '../../src/hub/webSocketTransport.ts';
import { WEB_LIMITS } from '../../src/hub/webServer.ts';
import { eventually } from '../support/eventually.ts';
import { Receiver } from '../robustness/support/receiver.ts';
import { shapedLine, shapedToken } from '../robustness/support/shapedToken.ts';
import { WsPeer } from './support/wsPeer.ts';

const hubs: RunningHub[] = [];
const opened: { destroy(): void }[] = [];
afterEach(async () => {
  for (const peer of opened.splice(0)) peer.destroy();
  await Promise.all(hubs.splice(0).map((hub) => hub.stop()));
});

interface WebHub {
  readonly hub: RunningHub;
  readonly tcpPort: number;
  readonly wsUrl: string;
  readonly origin: string;
  readonly logs: LogRecord[];
}

async function webHub(settings: Record<string, unknown> = {}): Promise<WebHub> {
  const logs: LogRecord[] = [];
  const hub = await startHub(hubConfigSchema.parse({ port: 0, ...settings }), (record) => logs.push(record));
  hubs.push(hub);
  const url = new URL(hub.webUrl!);
  return { hub, tcpPort: hub.address.port, wsUrl: `ws://${url.host}/ws`, origin: url.origin, logs };
}

async function wsPeer(
  url: string,
  options: { origin?: string; localAddress?: string } = {},
): Promise<WsPeer> {
  const peer = await WsPeer.open(url, options);
  opened.push({ destroy: () => peer.ws.terminate() });
  await peer.waitForNotice('#hello ');
  return peer;
}

async function tcpPeer(port: number): Promise<Receiver> {
  const peer = await Receiver.open(port);
  opened.push(peer);
  await peer.waitForNotice('#hello ');
  return peer;
}

describe('the hub over WebSocket', () => {
  it('relays both ways between WebSocket and TCP clients, one message per frame, in one room', async () => {
    const { tcpPort, wsUrl, origin } = await webHub();
    const browser = await wsPeer(wsUrl, { origin });
    const terminal = await tcpPeer(tcpPort);
    // The same notices as TCP: the browser hears the terminal client join.
    await browser.waitForNotice(/^#joined \d+ 2$/);
    for (let seq = 0; seq < 5; seq++) browser.send(shapedToken(1, seq));
    // Several frames in one TCP read go out as several messages, never one holding LFs.
    terminal.write(Buffer.concat([0, 1, 2, 3, 4].map((seq) => shapedLine(2, seq))));
    await terminal.waitForCount(1, 5);
    await browser.waitForCount(2, 5);
    expect(browser.messages.filter((m) => m.includes('\n') || m.startsWith('(binary)'))).toEqual([]);
    expect([terminal.problems, browser.problems, terminal.others, browser.others]).toEqual([[], [], [], []]);
    terminal.destroy();
    await browser.waitForNotice(/^#left \d+ 1 /);
  });

  it('refuses an upgrade from a foreign Origin with 403, and takes one allowed by --web-origins', async () => {
    const { wsUrl, logs } = await webHub({ webOrigins: 'https://chat.example.org' });
    await expect(WsPeer.open(wsUrl, { origin: 'https://evil.example' })).rejects.toThrow('HTTP 403');
    expect(logs).toContainEqual(expect.objectContaining({ event: 'refused', reason: 'bad-origin' }));
    const allowed = await wsPeer(wsUrl, { origin: 'https://chat.example.org' });
    expect(allowed.notices[0]).toMatch(/^#hello fernet-chat\/1 \d+ 1/);
    // localhost is the page's own origin too (bound to loopback).
    await wsPeer(wsUrl, { origin: `http://localhost:${new URL(wsUrl).port}` });
  });

  it('closes on a binary message (1003), a line feed inside a message (1007), invalid UTF-8 (1007) and an oversized message (1009), and the others see why it left', async () => {
    const { tcpPort, wsUrl } = await webHub({ maxFrameBytes: 1024 });
    const watcher = await tcpPeer(tcpPort);
    const cases: [send: (peer: WsPeer) => void, code: number, reason: string | RegExp, left: string][] = [
      [(p) => p.send(Buffer.from(shapedToken(1, 0)), true), 1003, BINARY_REFUSED, 'binary-message'],
      [(p) => p.send(`${shapedToken(1, 0)}\n${shapedToken(1, 1)}`), 1007, LINE_FEED_REFUSED, 'line-feed'],
      [(p) => p.send(Buffer.from([0x67, 0xff, 0xfe])), 1007, /UTF-8/, 'invalid-utf8'],
      [(p) => p.send('A'.repeat(1025)), 1009, /payload/i, 'frame-too-large'],
    ];
    for (const [send, code, reason, left] of cases) {
      const peer = await wsPeer(wsUrl);
      send(peer);
      const closed = await peer.waitForClose();
      expect(closed.code).toBe(code);
      if (typeof reason === 'string') expect(closed.reason).toBe(reason);
      await watcher.waitForNotice(new RegExp(`^#left \\d+ 1 ${left}$`));
    }
    // Nothing of theirs was relayed; the room goes on.
    expect(watcher.total + watcher.others.length).toBe(0);
    const next = await wsPeer(wsUrl);
    next.send(shapedToken(3, 0));
    await watcher.waitForCount(3, 1);
  });

  it('keeps WebSocket peers alive with the protocol keepalive: #ping, and #bye idle for one that never answers', async () => {
    const { wsUrl } = await webHub({ idleSeconds: 0.3, pongTimeoutSeconds: 0.3 });
    const answering = await wsPeer(wsUrl);
    const silent = await wsPeer(wsUrl);
    await answering.waitForNotice('#ping');
    answering.send('#pong');
    await silent.waitForNotice('#bye idle', 5_000);
    expect((await silent.waitForClose()).code).toBe(1000);
    await answering.waitForNotice(/^#left \d+ 1 idle$/);
    expect(answering.closed).toBeUndefined();
  });

  it('drops a WebSocket reader that stops reading as a slow consumer; the TCP reader gets everything', async () => {
    const { tcpPort, wsUrl } = await webHub({
      unlimited: true,
      maxQueueBytes: 64 * 1024,
      maxFrameBytes: 16 * 1024,
    });
    const stalled = await wsPeer(wsUrl);
    const reader = await tcpPeer(tcpPort);
    const sender = await tcpPeer(tcpPort);
    stalled.ws.pause();
    const frames = 4_000; // about 5 MB: far past the stalled reader's hard limit of 1 MiB
    for (let seq = 0; seq < frames; seq += 100)
      sender.write(Buffer.concat(Array.from({ length: 100 }, (_, i) => shapedLine(9, seq + i, 60))));
    await reader.waitForCount(9, frames, 20_000);
    await reader.waitForNotice(/^#left \d+ \d+ slow-consumer$/, 10_000);
    expect(reader.problems).toEqual([]);
  });
});

describe('the web listener over HTTP', () => {
  /** One raw request, as sent (no client normalises its path), and the answer's head. */
  async function raw(port: number, request: string): Promise<string> {
    return new Promise((resolve, reject) => {
      const socket = connect(port, '127.0.0.1');
      let text = '';
      socket.setEncoding('latin1');
      socket.on('data', (chunk: string) => (text += chunk));
      socket.on('end', () => resolve(text));
      socket.on('error', reject);
      socket.write(request);
    });
  }
  const get = (path: string, method = 'GET') =>
    `${method} ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`;

  it('serves the page with its content types and a strict CSP, and nothing else', async () => {
    const { hub } = await webHub();
    const port = Number(new URL(hub.webUrl!).port);
    const page = await raw(port, get('/'));
    expect(page).toMatch(/^HTTP\/1\.1 200 /);
    expect(page).toMatch(/content-type: text\/html; charset=utf-8/i);
    expect(page).toMatch(/content-security-policy: default-src 'none'; script-src 'self'; style-src 'self'/i);
    expect(page).toMatch(/x-content-type-options: nosniff/i);
    expect(page).not.toMatch(/<script>|<style>| style=| on[a-z]+=/i); // nothing inline for the CSP to forbid
    expect(await raw(port, get('/app.js'))).toMatch(/content-type: text\/javascript; charset=utf-8/i);
    expect(await raw(port, get('/app.css'))).toMatch(/content-type: text\/css; charset=utf-8/i);
    for (const path of [
      '/nope',
      '/../package.json',
      '/%2e%2e/package.json',
      '/..%2fpackage.json',
      '/%2E%2E%2Fpackage.json',
      '/app.js/../../package.json',
      '//etc/passwd',
    ])
      expect(await raw(port, get(path)), path).toMatch(/^HTTP\/1\.1 404 [^]*\r\n\r\nnot found\n$/);
    const post = await raw(
      port,
      `POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`,
    );
    expect(post).toMatch(/^HTTP\/1\.1 405 [^]*allow: GET, HEAD/i);
    expect(await raw(port, get('/', 'DELETE'))).toMatch(/^HTTP\/1\.1 405 /);
    expect(await raw(port, 'NONSENSE\r\n\r\n')).toMatch(/^HTTP\/1\.1 400 /);
    // An upgrade anywhere but /ws.
    const upgrade = await raw(
      port,
      'GET /chat HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
        'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
    );
    expect(upgrade).toMatch(/^HTTP\/1\.1 404 /);
  });

  it('holds at most its limit of half-open upgrades from one address; others still connect', async () => {
    const { tcpPort, wsUrl, logs } = await webHub();
    const port = Number(new URL(wsUrl).port);
    const half = Array.from({ length: WEB_LIMITS.maxPendingPerAddress + 20 }, () => {
      const socket = connect({ port, host: '127.0.0.1', localAddress: '127.0.0.2' });
      socket.on('error', () => {});
      socket.write('GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n');
      opened.push(socket);
      return socket;
    });
    await eventually(
      () => half.filter((s) => s.closed).length >= 20,
      () => `20 closed; ${half.filter((s) => s.closed).length} are`,
    );
    expect(half.filter((s) => !s.closed)).toHaveLength(WEB_LIMITS.maxPendingPerAddress);
    expect(logs).toContainEqual(expect.objectContaining({ event: 'refused', reason: 'web-pending' }));
    const browser = await wsPeer(wsUrl);
    const terminal = await tcpPeer(tcpPort);
    browser.send(shapedToken(4, 0));
    await terminal.waitForCount(4, 1);
  });
});
