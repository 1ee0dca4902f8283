import { once } from 'node:events';
import { type AddressInfo, connect, createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { FlushScheduler } from '../../src/actors/flushScheduler.ts';
import type { HubEvent } from '../../src/actors/hubEvent.ts';
import { CATCH_UP_MS, PeerActor, type PeerOptions } from '../../src/actors/peerActor.ts';
import { eventually } from '../support/eventually.ts';

const MiB = 1024 * 1024;
/** A frame-sized piece: the hub writes in batches of about 64 KiB, whose completion shows progress. */
const CHUNK = Buffer.alloc(16 * 1024, 0x41);

/**
 * A peer actor over a real loopback connection, with a 1 s stuck timer and (unless `overrides`
 * say otherwise) a queue too big to fill.
 */
async function peerWithClient(overrides: Partial<PeerOptions> = {}): Promise<{
  server: Server;
  client: Socket;
  peer: PeerActor;
  events: HubEvent[];
}> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const client = connect((server.address() as AddressInfo).port, '127.0.0.1');
  const [socket] = (await once(server, 'connection')) as [Socket];
  const peer = new PeerActor(1, socket, {
    maxFrameBytes: 64 * 1024,
    maxQueueBytes: 256 * MiB,
    framing: 'line',
    notices: true,
    floodRate: 0,
    floodBurst: 1,
    scheduler: new FlushScheduler(),
    stuckMs: 1_000,
    ...overrides,
  });
  const events: HubEvent[] = [];
  peer.events.subscribe((event) => events.push(event));
  return { server, client, peer, events };
}

const leftWith = (events: HubEvent[]) => events.find((e) => e.type === 'left');
let open: { server: Server; client: Socket } | undefined;

afterEach(() => {
  open?.client.destroy();
  open?.server.close();
});

describe('peer actor, slow consumers', () => {
  it('drops a reader that takes nothing at all for stuckMs', async () => {
    const { server, client, peer, events } = await peerWithClient();
    open = { server, client };
    client.pause(); // never reads: the kernel buffers fill, then nothing moves
    for (let i = 0; i < 3_000; i++) peer.send(CHUNK); // 48 MiB
    const left = await eventually(() => leftWith(events), 'the stuck reader to be dropped', 5_000);
    expect(left).toEqual({ type: 'left', peer: 1, reason: 'slow-consumer' });
  });

  it('keeps a reader that is slow but reading, for as long as its queue is within bounds', async () => {
    const { server, client, peer, events } = await peerWithClient();
    open = { server, client };
    // About 64 KiB every 25 ms: far slower than what is queued, never stuck.
    client.on('data', () => {
      client.pause();
      setTimeout(() => client.resume(), 25);
    });
    for (let i = 0; i < 3_000; i++) peer.send(CHUNK); // 48 MiB
    await new Promise((resolve) => setTimeout(resolve, 4_000)); // four stuck periods
    expect(leftWith(events)).toBeUndefined();
    expect(peer.isClosing).toBe(false);
  });
});

/** Sends a MiB per event-loop turn (the writes back up in between) until `done`. */
async function sendUntil(peer: PeerActor, done: () => boolean): Promise<void> {
  while (!done()) {
    for (let i = 0; i < 64; i++) peer.send(CHUNK);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

describe('peer actor, over its queue limit', () => {
  /** What the hub was told: asked to wait for the peer, told it is under its limit again. */
  function hubThatWaits(answer: boolean) {
    const said: string[] = [];
    const options: Partial<PeerOptions> = {
      maxQueueBytes: 256 * 1024,
      admitOverLimit: () => {
        said.push('over');
        return answer;
      },
      onUnderLimit: () => said.push('under'),
    };
    return { said, options };
  }

  it('is dropped at once when the hub says it alone is slow', async () => {
    const { said, options } = hubThatWaits(false);
    const { server, client, peer, events } = await peerWithClient(options);
    open = { server, client };
    client.pause();
    await sendUntil(peer, () => said.includes('over'));
    expect(peer.isClosing).toBe(true); // in the very send that passed the limit
    expect(said).toEqual(['over']);
    const left = await eventually(() => leftWith(events), 'the slow reader to be dropped', 5_000);
    expect(left).toEqual({ type: 'left', peer: 1, reason: 'slow-consumer' });
  });

  it('is waited for when the hub takes it as load, and kept once it drains to half its limit', async () => {
    const { said, options } = hubThatWaits(true);
    const { server, client, peer, events } = await peerWithClient(options);
    open = { server, client };
    client.pause();
    await sendUntil(peer, () => said.includes('over'));
    client.resume(); // the busy reader gets to it: well within CATCH_UP_MS
    await eventually(() => said.includes('under'), 'the peer to be under its limit again', 5_000);
    await new Promise((resolve) => setTimeout(resolve, CATCH_UP_MS * 2));
    expect(leftWith(events)).toBeUndefined();
    expect(peer.isClosing).toBe(false);
    expect(said).toEqual(['over', 'under']);
  });

  it('is dropped when it does not catch up within CATCH_UP_MS, and then holds the hub up no more', async () => {
    const { said, options } = hubThatWaits(true);
    // The stuck timer out of the way: the catch-up deadline is what must drop it.
    const { server, client, peer, events } = await peerWithClient({ ...options, stuckMs: 60_000 });
    open = { server, client };
    client.pause(); // stuck for good, though the kernel's buffers may still grow for a while
    let overAt = 0;
    while (!peer.isClosing) {
      // Over its limit, a trickle: to stay short of the hard limit (16x) until CATCH_UP_MS is out.
      for (let i = overAt === 0 ? 16 : 1; i > 0; i--) peer.send(CHUNK);
      if (said.at(-1) === 'over' && overAt === 0) overAt = performance.now();
      if (said.at(-1) === 'under') overAt = 0;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    expect(overAt).toBeGreaterThan(0);
    expect(performance.now() - overAt).toBeGreaterThanOrEqual(CATCH_UP_MS - 20);
    expect(performance.now() - overAt).toBeLessThan(CATCH_UP_MS + 2_000);
    expect(said.at(-1)).toBe('under'); // released at the close, not when the socket is gone
    const left = await eventually(() => leftWith(events), 'the stuck reader to be dropped', 5_000);
    expect(left).toEqual({ type: 'left', peer: 1, reason: 'slow-consumer' });
  });
});
