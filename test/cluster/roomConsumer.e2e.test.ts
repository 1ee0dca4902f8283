import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { describe, expect, it } from 'vitest';
import { RoomConsumer } from '../../src/cluster/roomConsumer.ts';
import type { LogRecord } from '../../src/streams/hubEvent.ts';
import { eventually } from '../support/eventually.ts';
import { useNatsConnection } from './support/clusterTests.ts';

// The room's consumer on its own, over a real nats-server, under a steady publisher: when the
// consumer it reads through stops serving (here: deleted on the server, which sends the client's
// ordered consumer down its own recovery), reading goes on within a couple of seconds, every
// message once and in order. With the client's recovery alone (3.3.1), nothing was taken for
// 5 to 7 s, twice: it recreated the consumer but pulled only a few messages, then waited for
// missed heartbeats.

const nats = useNatsConnection('the room consumer tests');
const skip = nats.skip;

describe.skipIf(skip)('the room consumer', () => {
  it('replaces a consumer that stopped serving at once: no stall, each message once and in order', async () => {
    const jsm = await jetstreamManager(nats.connection());
    await jsm.streams.add({ name: 'STALL', subjects: ['stall'] });
    const js = jetstream(nats.connection());
    const taken: number[] = [];
    const log: LogRecord[] = [];
    const consumer = new RoomConsumer(
      { first: js, again: js },
      'STALL',
      1,
      (message) => taken.push(message.seq),
      (record) => log.push(record),
    );
    await consumer.start();
    let published = 0;
    const publishing = setInterval(() => {
      published++;
      void js.publish('stall', Buffer.from(`${published}\n`));
    }, 2);
    try {
      await eventually(() => taken.length >= 200, 'the first messages', 10_000);
      const names: string[] = [];
      for await (const info of jsm.consumers.list('STALL')) names.push(info.name);
      expect(names).toHaveLength(1);
      await jsm.consumers.delete('STALL', names[0]!);
      const deletedAt = published;
      // Well under the 5 s of two missed heartbeats at the client's own pace. (A message published
      // after the deletion can only come through a new consumer; how many more are published in
      // that time, every 2 ms on a calm machine, a busy one decides.)
      await eventually(
        () => taken.length > deletedAt,
        () => `reading to go on after the consumer was deleted (taken ${taken.length} of ${published})`,
        2_500,
      );
    } finally {
      clearInterval(publishing);
    }
    await eventually(() => taken.length === published, 'the rest', 5_000);
    consumer.close();
    expect(taken).toEqual(Array.from({ length: published }, (_, i) => i + 1));
    expect(log.map((record) => record.event)).toContain('cluster-consumer-restart');
  }, 30_000);
});
