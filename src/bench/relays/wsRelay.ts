/**
 * Baseline for the WebSocket transport: the plainest broadcast relay on the `ws` package. Every
 * text message a client sends is sent to every other client with its own `send`, no batching and
 * no limits (maxPayload as the hub's frame limit). Run it as a child process:
 *
 *   tsx src/bench/relays/wsRelay.ts --host 127.0.0.1 --port 0
 *
 * It prints `relay=ws event=listening host=<h> port=<p>` on stderr (logfmt, like the hub).
 */
import type { AddressInfo } from 'node:net';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { type WebSocket, WebSocketServer } from 'ws';

export function startWsRelay(host: string, port: number): Promise<WebSocketServer> {
  return new Promise((resolve, reject) => {
    const server = new WebSocketServer({ host, port, perMessageDeflate: false, maxPayload: 64 * 1024 });
    const peers = new Set<WebSocket>();
    server.on('connection', (ws) => {
      peers.add(ws);
      ws.on('message', (data: Buffer, isBinary: boolean) => {
        for (const peer of peers) if (peer !== ws) peer.send(data, { binary: isBinary });
      });
      ws.on('close', () => peers.delete(ws));
      ws.on('error', () => {});
    });
    server.once('listening', () => resolve(server));
    server.once('error', reject);
  });
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { values } = parseArgs({ options: { host: { type: 'string' }, port: { type: 'string' } } });
  const host = values.host ?? '127.0.0.1';
  const server = await startWsRelay(host, Number(values.port ?? 0));
  const { port } = server.address() as AddressInfo;
  process.stderr.write(`relay=ws event=listening host=${host} port=${port}\n`);
}
