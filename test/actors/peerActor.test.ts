import { once } from 'node:events';
import { type AddressInfo, connect, createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { QUEUE_HARD_LIMIT_FACTOR } from '../../src/config/queueLimits.ts';
import { FlushScheduler } from '../../src/actors/flushScheduler.ts';
import type { HubEvent } from '../../src/streams/hubEvent.ts';
import { PeerActor, type PeerOptions } from '../../src/actors/peerActor.ts';
import {
  CATCH_UP_MS,
  FIRST_CATCH_UP_MS,
  LINGER_MS,
  WRITE_HIGH_WATER_BYTES,
} from '../../src/config/queueLimits.ts';
import { shapedLine } from '../robustness/support/shapedToken.ts';
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
  /** The hub's end of the connection, which the peer actor writes to. */
  socket: Socket;
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
  return { server, client, socket, peer, events };
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
    // What keeps a peer is a drain within each stuck period, however late in it. A reader paced
    // by the wall clock drains that often only if the machine lets it (and the kernel's buffers,
    // which grow to megabytes on loopback, take a drain's worth): the stuck timer's clock is the
    // test's here, and the reader takes its next bytes only once most of a period has passed.
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    try {
      const { server, client, socket, peer, events } = await peerWithClient();
      open = { server, client };
      client.pause();
      for (let i = 0; i < 3_000; i++) peer.send(CHUNK); // 48 MiB
      for (let period = 0; period < 4; period++) {
        vi.advanceTimersByTime(1_000 - 100); // most of a stuck period, taking nothing
        expect(peer.isClosing).toBe(false);
        // Then it takes some: enough for one drain, which the peer follows with its next writes.
        const drained = once(socket, 'drain');
        client.resume();
        await drained;
        client.pause();
        expect(peer.queuedBytes).toBeGreaterThan(0); // still behind: its writes back up again
      }
      expect(leftWith(events)).toBeUndefined();
      expect(peer.isClosing).toBe(false);
    } finally {
      vi.useRealTimers();
    }
  });
});

/** Sends 256 KiB per event-loop turn (the writes back up in between) until `done`. */
async function sendUntil(peer: PeerActor, done: () => boolean): Promise<void> {
  while (!done()) {
    for (let i = 0; i < 16; i++) peer.send(CHUNK);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

/**
 * Backs the peer's writes up once and lets the client take them all: the peer has then been seen
 * to read, and its backlogs count for the hub. The client is paused again at the end.
 */
async function showReading(peer: PeerActor, client: Socket): Promise<void> {
  client.pause();
  await sendUntil(peer, () => peer.queuedBytes > 300 * 1024);
  client.resume();
  await eventually(() => peer.seenReading && peer.queuedBytes === 0, 'the client to take it all', 10_000);
  client.pause();
}

describe('peer actor, over its queue limit', () => {
  const LIMIT = 256 * 1024;

  /**
   * A room that answers `waits` for a peer that falls behind, what it was told, and when it was
   * last told each (performance.now()).
   */
  function hubSaying(waits: boolean, catchUpMs = CATCH_UP_MS) {
    const said: string[] = [];
    const at = { over: 0, under: 0 };
    const options: Partial<PeerOptions> = {
      maxQueueBytes: LIMIT,
      stuckMs: 60_000, // out of the way: the limits are under test
      catchUpMs,
      backpressure: {
        waitFor: () => {
          said.push('over');
          at.over = performance.now();
          return waits ? 'wait' : 'later';
        },
        underLimit: () => {
          said.push('under');
          at.under = performance.now();
        },
        update: () => {},
      },
    };
    return { said, at, options };
  }

  it('a reader still behind after the hub’s wait is kept up to the hard limit, asked about once, then dropped', async () => {
    const { said, options } = hubSaying(true, 50);
    const { server, client, peer, events } = await peerWithClient(options);
    open = { server, client };
    await showReading(peer, client);
    said.length = 0; // (what showing it reads took)
    let lastQueued = 0;
    await sendUntil(peer, () => {
      if (!peer.isClosing) lastQueued = peer.queuedBytes;
      return peer.isClosing;
    });
    expect(said).toEqual(['over', 'under']);
    expect(lastQueued).toBeGreaterThan(LIMIT * (QUEUE_HARD_LIMIT_FACTOR - 1));
    const left = await eventually(() => leftWith(events), 'the slow reader to be dropped', 5_000);
    expect(left).toEqual({ type: 'left', peer: 1, reason: 'slow-consumer' });
  });

  it('when the hub waits for it, tells the hub as soon as it has caught up to half its limit', async () => {
    // A wait far longer than the test: only catching up can end it.
    const { said, options } = hubSaying(true, 60_000);
    const { server, client, peer, events } = await peerWithClient(options);
    open = { server, client };
    await showReading(peer, client);
    said.length = 0; // (what showing it reads took)
    await sendUntil(peer, () => said.includes('over'));
    client.resume(); // the busy reader gets to it
    await eventually(() => said.includes('under'), 'the peer to be under its limit again', 10_000);
    expect(peer.queuedBytes).toBeLessThanOrEqual(LIMIT / 2);
    expect(leftWith(events)).toBeUndefined();
    expect(peer.isClosing).toBe(false);
  });

  it('the hub waits CATCH_UP_MS at most for a reader that does not catch up, which is not dropped for it', async () => {
    const { said, at, options } = hubSaying(true);
    const { server, client, peer, events } = await peerWithClient(options);
    open = { server, client };
    await showReading(peer, client); // then stuck for good
    // The kernel may still take a little more once it stopped (its buffers grow after a reader
    // has been busy), and a drain to half the limit ends a wait too: wait until one does not.
    for (let round = 0; round < 20; round++) {
      said.length = 0;
      await sendUntil(peer, () => said.includes('over'));
      await eventually(() => said.includes('under'), 'the hub to stop waiting', 5_000);
      if (peer.queuedBytes > LIMIT / 2) break;
    }
    // How long the room waited, as the room was told it (this process may look late, not early).
    expect(at.under - at.over).toBeGreaterThanOrEqual(CATCH_UP_MS - 20);
    expect(peer.queuedBytes).toBeGreaterThan(LIMIT / 2);
    expect(peer.isClosing).toBe(false);
    expect(leftWith(events)).toBeUndefined();
    expect(said).toEqual(['over', 'under']);
  });

  it('is asked again on its next frame while reading is paused for everyone, and waited for by no one', async () => {
    const { said, options } = hubSaying(false);
    const { server, client, peer } = await peerWithClient(options);
    open = { server, client };
    await showReading(peer, client);
    said.length = 0; // (what showing it reads took)
    await sendUntil(peer, () => said.length >= 2);
    expect(said.length).toBeGreaterThanOrEqual(2);
    expect(said.every((word) => word === 'over')).toBe(true);
    expect(peer.isClosing).toBe(false);
  });

  it('a closing peer the hub waits for releases it at once, not when its socket is gone', async () => {
    const { said, options } = hubSaying(true);
    const { server, client, peer } = await peerWithClient(options);
    open = { server, client };
    await showReading(peer, client);
    said.length = 0; // (what showing it reads took)
    await sendUntil(peer, () => said.includes('over'));
    peer.close('shutdown');
    expect(said).toEqual(['over', 'under']);
  });

  it('counts as backed up until it has written all it held, and no longer once it is closing', async () => {
    // Each report with what the peer still held when it was made.
    const reports: { congested: boolean; held: number }[] = [];
    const { server, client, peer } = await peerWithClient({
      backpressure: {
        update: (owner, congested) => reports.push({ congested, held: owner.queuedBytes }),
        waitFor: () => 'no',
        underLimit: () => {},
      },
    });
    open = { server, client };
    await showReading(peer, client);
    await sendUntil(peer, () => peer.queuedBytes > 4 * 1024 * 1024);
    expect(reports.at(-1)?.congested).toBe(true);
    // Reading slowly: most drains leave a backlog, and the peer stays backed up through them. How
    // much the kernel's buffers take at one drain is the machine's to say, so what is checked is
    // the rule: the peer is clear only when it has handed all it held to the transport.
    client.on('data', () => {
      client.pause();
      setTimeout(() => client.resume(), 5);
    });
    client.resume();
    await eventually(() => peer.queuedBytes < 2 * 1024 * 1024, 'some of the backlog to be taken', 10_000);
    for (const { congested, held } of reports)
      if (!congested) expect(held).toBeLessThan(WRITE_HIGH_WATER_BYTES);
    if (peer.queuedBytes >= WRITE_HIGH_WATER_BYTES) expect(reports.at(-1)?.congested).toBe(true);
    peer.close('shutdown');
    expect(reports.at(-1)?.congested).toBe(false);
    const count = reports.length;
    await eventually(() => peer.queuedBytes === 0, 'the rest to be written', 10_000);
    expect(reports.length).toBe(count); // the drains while closing report nothing
  });
});

describe('peer actor, a reader that never reads', () => {
  it('holds no one up for long: waited for FIRST_CATCH_UP_MS once, never counted as backed up, dropped at its hard limit', async () => {
    // The room's wait is timed on the test's clock: measured in real time, a timer a busy machine
    // runs late could not tell a wait of FIRST_CATCH_UP_MS from one of CATCH_UP_MS.
    expect(FIRST_CATCH_UP_MS).toBeLessThan(CATCH_UP_MS / 2);
    const asked: string[] = [];
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    let events: HubEvent[];
    try {
      const made = await peerWithClient({
        maxQueueBytes: 256 * 1024,
        stuckMs: 60_000,
        backpressure: {
          waitFor: () => {
            asked.push('wait');
            return 'wait';
          },
          underLimit: () => asked.push('done'),
          update: (_, congested) => asked.push(congested ? 'congested' : 'clear'),
        },
      });
      const { server, client, peer } = made;
      events = made.events;
      open = { server, client };
      client.pause(); // never reads anything
      await sendUntil(peer, () => asked.length > 0);
      expect(asked).toEqual(['wait']);
      // Waited for FIRST_CATCH_UP_MS, not for CATCH_UP_MS. (The wait is set a moment after it
      // began, by the real clock: a few ms of margin.)
      vi.advanceTimersByTime(FIRST_CATCH_UP_MS - 5);
      expect(asked).toEqual(['wait']);
      vi.advanceTimersByTime(5);
      expect(asked).toEqual(['wait', 'done']);
      await sendUntil(peer, () => peer.isClosing);
      // Asked once; its backed-up writes counted for no one.
      expect(asked).toEqual(['wait', 'done']);
      expect(peer.seenReading).toBe(false);
      vi.advanceTimersByTime(LINGER_MS); // what a closing peer gets to take its last bytes
    } finally {
      vi.useRealTimers();
    }
    const left = await eventually(() => leftWith(events), 'the non-reader to be dropped', 5_000);
    expect(left).toEqual({ type: 'left', peer: 1, reason: 'slow-consumer' });
  });
});

describe('peer actor, what a relayed frame keeps', () => {
  it('a frame that is a small part of its read is copied out, not a view that keeps the whole read alive', async () => {
    const { server, client, events } = await peerWithClient();
    open = { server, client };
    // One token, then empty lines to fill the read: they cost no flood token.
    client.write(Buffer.concat([shapedLine(1, 0), Buffer.alloc(60 * 1024, 0x0a)]));
    const frames = await eventually(
      () => events.find((e) => e.type === 'frames' || e.type === 'rejected'),
      'the frame to be framed',
    );
    expect(frames.type).toBe('frames');
    if (frames.type !== 'frames') return;
    expect(frames.run.count).toBe(1);
    // Queued for every reader, it holds its own bytes, not the 60 KiB read around it.
    expect(frames.run.data.buffer.byteLength).toBeLessThan(4 * frames.run.data.length);
  });

  it('so is a frame followed in its read by a refused line: it is judged once the line is cut out', async () => {
    const { server, client, events } = await peerWithClient();
    open = { server, client };
    // One token, then a line of 60 KiB that is no token: one run for the framing, until the
    // refused line is cut out of it. (Judged before that, each kept frame held 64 KiB.)
    const refused = Buffer.alloc(60 * 1024, 0x78);
    refused[refused.length - 1] = 0x0a;
    client.write(Buffer.concat([shapedLine(1, 0), refused]));
    await eventually(() => events.some((e) => e.type === 'rejected'), 'the line to be refused');
    const frames = events.find((e) => e.type === 'frames');
    expect(frames?.type).toBe('frames');
    if (frames?.type !== 'frames') return;
    expect(frames.run.count).toBe(1);
    expect(frames.run.data.buffer.byteLength).toBeLessThan(4 * frames.run.data.length);
  });
});
