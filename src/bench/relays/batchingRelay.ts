/**
 * Baseline: a batching line relay on node:net. The complete lines of each read are one Buffer
 * slice, queued once per other peer; every peer's queue is flushed with a single write once per
 * event-loop turn. Queues are unbounded (no backpressure): this is the fast relay that collapses
 * under overload. Run it as a child process:
 *
 *   tsx src/bench/relays/batchingRelay.ts --host 127.0.0.1 --port 0
 *
 * It prints `relay=batching event=listening host=<h> port=<p>` on stderr (logfmt, like the hub).
 */
import type net from 'node:net';
import { createServer } from 'node:net';
import { pathToFileURL } from 'node:url';
import { listen, relayMain } from './plainRelay.ts';

const LF = 0x0a;

interface Peer {
  socket: net.Socket;
  pending: Buffer[];
}

export function startBatchingRelay(host: string, port: number): Promise<net.Server> {
  const peers = new Set<Peer>();
  let dirty: Peer[] = [];
  let scheduled = false;

  const flush = () => {
    scheduled = false;
    const list = dirty;
    dirty = [];
    for (const p of list) {
      const q = p.pending;
      p.pending = [];
      if (p.socket.destroyed) continue;
      p.socket.write(q.length === 1 ? q[0]! : Buffer.concat(q));
    }
  };

  const server = createServer((socket) => {
    socket.setNoDelay(true);
    const self: Peer = { socket, pending: [] };
    peers.add(self);
    let carry: Buffer | null = null;
    socket.on('data', (chunk: Buffer) => {
      const last = chunk.lastIndexOf(LF);
      if (last < 0) {
        carry = carry ? Buffer.concat([carry, chunk]) : chunk;
        return;
      }
      let lines = chunk.subarray(0, last + 1);
      if (carry) {
        lines = Buffer.concat([carry, lines]);
        carry = null;
      }
      if (last + 1 < chunk.length) carry = chunk.subarray(last + 1);
      for (const p of peers) {
        if (p === self) continue;
        if (p.pending.length === 0) dirty.push(p);
        p.pending.push(lines);
      }
      if (!scheduled) {
        scheduled = true;
        setImmediate(flush);
      }
    });
    socket.on('error', () => {});
    socket.on('close', () => peers.delete(self));
  });
  return listen(server, host, port, 'batching');
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) relayMain(startBatchingRelay);
