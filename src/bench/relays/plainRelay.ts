/**
 * Baseline: the simplest correct line relay on node:net. Every complete line a client sends is
 * written to every other client with its own `socket.write` (one write per line per peer), no
 * batching and no limits. Run it as a child process:
 *
 *   tsx src/bench/relays/plainRelay.ts --host 127.0.0.1 --port 0
 *
 * It prints `relay=plain event=listening host=<h> port=<p>` on stderr (logfmt, like the hub).
 */
import net from 'node:net';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

const LF = 0x0a;

export function startPlainRelay(host: string, port: number): Promise<net.Server> {
  const peers = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    socket.setNoDelay(true);
    peers.add(socket);
    let carry: Buffer | null = null;
    socket.on('data', (chunk: Buffer) => {
      let data = chunk;
      if (carry) {
        data = Buffer.concat([carry, chunk]);
        carry = null;
      }
      let start = 0;
      for (;;) {
        const nl = data.indexOf(LF, start);
        if (nl < 0) break;
        const line = data.subarray(start, nl + 1);
        for (const other of peers) if (other !== socket && !other.destroyed) other.write(line);
        start = nl + 1;
      }
      if (start < data.length) carry = data.subarray(start);
    });
    socket.on('error', () => {});
    socket.on('close', () => peers.delete(socket));
  });
  return listen(server, host, port, 'plain');
}

export function listen(server: net.Server, host: string, port: number, name: string): Promise<net.Server> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host, port, backlog: 4096 }, () => {
      const addr = server.address();
      const p = typeof addr === 'object' && addr ? addr.port : port;
      process.stderr.write(`relay=${name} event=listening host=${host} port=${p}\n`);
      resolve(server);
    });
  });
}

export function relayMain(start: (host: string, port: number) => Promise<net.Server>): void {
  const { values } = parseArgs({
    options: { host: { type: 'string', default: '127.0.0.1' }, port: { type: 'string', default: '0' } },
  });
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    process.stderr.write(`--port: expected 0..65535, got ${values.port}\n`);
    process.exit(2);
  }
  start(values.host, port).then(
    (server) => {
      const stop = () => {
        server.close();
        process.exit(0);
      };
      process.on('SIGTERM', stop);
      process.on('SIGINT', stop);
    },
    (err: unknown) => {
      process.stderr.write(`event=error detail=${JSON.stringify(String(err))}\n`);
      process.exit(1);
    },
  );
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) relayMain(startPlainRelay);
