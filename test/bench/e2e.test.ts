import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { LoadSession } from '../../src/bench/generator.ts';
import { listeningPort, type RelayHandle, startRelay } from '../../src/bench/relayProcess.ts';

let relay: RelayHandle | null = null;
let server: net.Server | null = null;
afterEach(async () => {
  await relay?.stop();
  relay = null;
  await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  server = null;
});

/**
 * A relay in this process, on `server`: each chunk a peer sends goes to `forward` with the other
 * peers; `greet` is written to each peer as it joins. Resolves to its port.
 */
async function inProcessRelay(
  forward: (chunk: Buffer, others: net.Socket[]) => void,
  greet?: (peersOnline: number) => string,
): Promise<number> {
  const peers = new Set<net.Socket>();
  server = net.createServer((sock) => {
    peers.add(sock);
    if (greet) sock.write(greet(peers.size));
    sock.on('data', (chunk: Buffer) =>
      forward(
        chunk,
        [...peers].filter((peer) => peer !== sock),
      ),
    );
    sock.on('error', () => {});
    sock.on('close', () => peers.delete(sock));
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', () => resolve()));
  return (server.address() as net.AddressInfo).port;
}

describe('load generator end to end, 127.0.0.1', () => {
  it('reads the port from logfmt listening lines', () => {
    expect(listeningPort('level=info event=listening host=127.0.0.1 port=4321')).toBe(4321);
    expect(listeningPort('relay=plain event=listening host=127.0.0.1 port=9')).toBe(9);
    expect(listeningPort('port=77 event=listening')).toBe(77);
    expect(listeningPort('event=joined port=5')).toBeNull();
  });

  it('measures the batching relay (child process, ephemeral port): N=3, 2 s, zero loss', async () => {
    relay = await startRelay('batching', { cpu: null });
    expect(relay.port).toBeGreaterThan(0);
    const s = new LoadSession({ host: '127.0.0.1', port: relay.port, clients: 3, size: 200 });
    const c = await s.connect();
    expect(c.connected).toBe(3);
    const b = await s.barrier(3);
    expect(b.ready).toBe(3);
    // Two seconds, so that a moment in which this busy machine holds a process up at the end of
    // the window costs little of the rate; and a drain that waits long enough for late deliveries
    // not to count as lost (it ends as soon as all have arrived).
    const r = await s.run({
      senders: 2,
      rate: 400,
      warmupS: 0.2,
      durationS: 2,
      hubPid: relay.pid,
      drainIdleS: 3,
    });
    await s.close();
    expect(r.sent).toBeGreaterThanOrEqual(780);
    expect(r.expected).toBe(r.sent * 2);
    expect(r).toMatchObject({ lost: 0, duplicated: 0, reordered: 0, malformed: 0, foreign: 0, echoed: 0 });
    expect(r.received).toBe(r.expected);
    expect(r.deliveriesPerS).toBeGreaterThan(700);
    expect(r.latencyMs.p99).toBeGreaterThan(0);
    expect(r.latencyMs.p99).toBeLessThan(1000);
    expect(r.hub?.peakRssBytes).toBeGreaterThan(1e6);
    expect(r.hub?.cpuS).toBeGreaterThanOrEqual(0);
  });

  it('sends at max rate with a window in flight per sender (no pacing) and loses none', async () => {
    relay = await startRelay('batching', { cpu: null });
    const session = new LoadSession({ host: '127.0.0.1', port: relay.port, clients: 3, size: 200 });
    expect((await session.connect()).connected).toBe(3);
    expect((await session.barrier(3)).ready).toBe(3);
    const result = await session.run({
      senders: 2,
      rate: 0,
      window: 50,
      warmupS: 0.2,
      durationS: 1,
      drainIdleS: 3,
    });
    await session.close();
    expect(result.window).toBe(50);
    expect(result.sent).toBeGreaterThan(100);
    expect(result).toMatchObject({
      lost: 0,
      duplicated: 0,
      reordered: 0,
      windowTimeouts: 0,
      offeredMsgPerS: null,
    });
    expect(result.received).toBe(result.expected);
  });

  it('reassembles lines split across reads and counts hub notices without relaying them', async () => {
    // a relay that greets with a notice and forwards bytes in 7-byte pieces, so lines straddle reads
    const port = await inProcessRelay(
      (chunk, others) => {
        for (const peer of others)
          for (let i = 0; i < chunk.length; i += 7) peer.write(chunk.subarray(i, i + 7));
      },
      (online) => `#hello fernet-chat/1 ${online} ${online}\n`,
    );
    const s = new LoadSession({ host: '127.0.0.1', port, clients: 3, size: 120 });
    await s.connect();
    expect((await s.barrier(3)).ready).toBe(3);
    // The drain ends as soon as everything has arrived; the idle limit only ends it when not.
    const r = await s.run({ senders: 1, rate: 200, warmupS: 0.1, durationS: 0.5, drainIdleS: 3 });
    await s.close();
    expect(s.notices).toBe(3);
    expect(r).toMatchObject({ lost: 0, duplicated: 0, malformed: 0 });
    expect(r.received).toBe(r.sent * 2);
  });

  it('stops sending when a progress callback throws: run() rejects with the error, no timer left behind', async () => {
    let bytesIn = 0;
    const port = await inProcessRelay((chunk, others) => {
      bytesIn += chunk.length;
      for (const peer of others) peer.write(chunk);
    });
    const session = new LoadSession({ host: '127.0.0.1', port, clients: 3, size: 120 });
    await session.connect();
    expect((await session.barrier(3)).ready).toBe(3);
    const onProgress = () => {
      throw new Error('progress sink broke');
    };
    const run = session.run({
      senders: 2,
      rate: 500,
      warmupS: 0.1,
      durationS: 5,
      progressMs: 100,
      onProgress,
    });
    await expect(run).rejects.toThrow('progress sink broke');
    await new Promise((resolve) => setTimeout(resolve, 50));
    const settled = bytesIn;
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(bytesIn).toBe(settled);
    await session.close();
  });
});
