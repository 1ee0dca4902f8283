import { DeliverPolicy, type JetStreamClient } from '@nats-io/jetstream';
import type { LogRecord } from '../streams/hubEvent.ts';
import { framesIn } from './batches.ts';
import { natsProblem } from './clusterError.ts';
import { SENDER_HEADER } from './roomNames.ts';

/** One message of the room's stream, as the hub takes it. */
export interface RoomMessage {
  readonly seq: number;
  readonly data: Buffer;
  readonly frames: number;
  readonly sender: number | undefined;
}

const LF = 0x0a;

/**
 * Reads the room's stream from `startSeq` on, in order, with an ordered consumer (which the
 * client makes again from where it was when NATS restarts or the consumer is lost), and hands
 * each message to `take`. Returns a function that stops it.
 */
export async function consumeRoom(
  js: JetStreamClient,
  stream: string,
  startSeq: number,
  take: (message: RoomMessage) => void,
  log: (record: LogRecord) => void,
): Promise<() => void> {
  const consumer = await js.consumers.get(stream, {
    deliver_policy: DeliverPolicy.StartSequence,
    opt_start_seq: startSeq,
  });
  const messages = await consumer.consume();
  void (async () => {
    try {
      for await (const m of messages) {
        const data = Buffer.from(m.data);
        // What a hub publishes ends in LF; anything else on the subject is not ours.
        if (data.length === 0 || data[data.length - 1] !== LF) {
          log({ event: 'cluster-foreign', seq: m.seq, bytes: data.length });
          continue;
        }
        const sender = Number(m.headers?.get(SENDER_HEADER) ?? NaN);
        take({
          seq: m.seq,
          data,
          frames: framesIn(data),
          sender: Number.isSafeInteger(sender) ? sender : undefined,
        });
      }
    } catch (error) {
      log({ event: 'cluster-consumer-error', detail: natsProblem(error) });
    }
  })();
  return () => void messages.close();
}
