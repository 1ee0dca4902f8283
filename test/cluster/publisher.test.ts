import { jetstream, jetstreamManager, type JetStreamClient } from '@nats-io/jetstream';
import { describe, expect, it } from 'vitest';
import { Publisher } from '../../src/cluster/publisher.ts';
import { SENDERS_HEADER } from '../../src/cluster/roomNames.ts';
import type { LogRecord } from '../../src/streams/hubEvent.ts';
import { eventually } from '../support/eventually.ts';
import { useNatsConnection } from './support/clusterTests.ts';

// The publisher against a real JetStream: a publish whose acknowledgement is lost is sent again
// under the same Nats-Msg-Id, and stored (so delivered) once.

const nats = useNatsConnection('the publisher tests');
const skip = nats.skip;

/** A JetStream client whose first `lost` acknowledgements never arrive: the publish is stored, the caller told it failed. */
function losingAcks(js: JetStreamClient, lost: number): JetStreamClient {
  let left = lost;
  return new Proxy(js, {
    get(target, property, receiver) {
      if (property !== 'publish') return Reflect.get(target, property, receiver) as unknown;
      return async (...args: Parameters<JetStreamClient['publish']>) => {
        const ack = await target.publish(...args);
        if (left-- > 0) throw new Error('timeout');
        return ack;
      };
    },
  });
}

describe.skipIf(skip)('the cluster publisher', () => {
  it("batches a turn's runs into one message, and sends again what was not acknowledged under the same id: JetStream stores each message once, in order", async () => {
    const jsm = await jetstreamManager(nats.connection());
    await jsm.streams.add({ name: 'PUBLISHER_TEST', subjects: ['publisher.test'] });
    const logs: LogRecord[] = [];
    const publisher = new Publisher(
      losingAcks(jetstream(nats.connection()), 2),
      'publisher.test',
      1 << 20,
      1 << 20,
      (record) => logs.push(record),
    );
    // One turn of the event loop: the runs of 7, 8 and 7 again go out as one message.
    expect(publisher.offer(7, Buffer.from('one\n'))).toBe(0);
    expect(publisher.offer(8, Buffer.from('two\nthree\n'))).toBe(0);
    expect(publisher.offer(7, Buffer.from('four\n'))).toBe(0);
    await new Promise((resolve) => setImmediate(resolve));
    // The next turn's, in another.
    expect(publisher.offer(8, Buffer.from('five\n'))).toBe(0);
    expect(await publisher.flushed(10_000)).toBe(true);
    publisher.close();

    const info = await jsm.streams.info('PUBLISHER_TEST');
    expect(info.state.messages).toBe(2);
    const stored = await Promise.all([1, 2].map((seq) => jsm.streams.getMessage('PUBLISHER_TEST', { seq })));
    expect(stored.map((m) => m!.string())).toEqual(['one\ntwo\nthree\nfour\n', 'five\n']);
    expect(stored.map((m) => m!.header.get(SENDERS_HEADER))).toEqual(['7:1,8:2,7:1', '8:1']);
    expect(logs.map((record) => record.event)).toEqual(['cluster-retrying', 'cluster-publishing']);
  });

  it('takes what fits within its bound, refuses the rest of a run frame by frame, and says so once', async () => {
    const jsm = await jetstreamManager(nats.connection());
    await jsm.streams.add({ name: 'BOUND_TEST', subjects: ['bound.test'] });
    const logs: LogRecord[] = [];
    // Acknowledgements never come: everything offered stays held.
    const publisher = new Publisher(
      losingAcks(jetstream(nats.connection()), Infinity),
      'bound.test',
      100,
      1 << 20,
      (record) => logs.push(record),
    );
    expect(publisher.offer(1, Buffer.from(`${'a'.repeat(59)}\n`))).toBe(0);
    expect(publisher.offer(1, Buffer.from(`${'b'.repeat(59)}\n`))).toBe(1);
    // Of a run, the frames that fit are taken, the rest refused.
    expect(publisher.offer(1, Buffer.from(`${'c'.repeat(9)}\n${'d'.repeat(19)}\n${'e'.repeat(29)}\n`))).toBe(
      1,
    );
    expect(publisher.heldBytes).toBe(90);
    await eventually(() => logs.some((record) => record.event === 'cluster-retrying'), 'a retry');
    publisher.close();
    expect(logs.filter((record) => record.event === 'cluster-full')).toHaveLength(1);
  });
});
