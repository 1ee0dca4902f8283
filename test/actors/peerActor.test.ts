import { once } from 'node:events';
import { type AddressInfo, connect, createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { FlushScheduler } from '../../src/actors/flushScheduler.ts';
import type { HubEvent } from '../../src/actors/hubEvent.ts';
import { PeerActor } from '../../src/actors/peerActor.ts';
import { eventually } from '../support/eventually.ts';

const MiB = 1024 * 1024;
/** A frame-sized piece: the hub writes in batches of about 64 KiB, whose completion shows progress. */
const CHUNK = Buffer.alloc(16 * 1024, 0x41);

/** A peer actor over a real loopback connection, with a 1 s stuck timer and a queue too big to fill. */
async function peerWithClient(): Promise<{
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
