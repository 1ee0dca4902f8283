import { type ConsumerMessages, DeliverPolicy, type JetStreamClient } from '@nats-io/jetstream';
import type { LogRecord } from '../streams/hubEvent.ts';
import { type SenderSegment, segmentsOf } from './batches.ts';
import { natsProblem } from './clusterError.ts';
import { SENDERS_HEADER } from './roomNames.ts';

/** One message of the room's stream, as the hub takes it: its runs, each from one sender. */
export interface RoomMessage {
  readonly seq: number;
  readonly data: Buffer;
  /** Undefined: the message does not say whose frames it holds (not from a hub). */
  readonly segments: readonly SenderSegment[] | undefined;
}

const LF = 0x0a;
/** A pull that brings nothing ends after this; the next one starts at once. */
const PULL_EXPIRES_MS = 5_000;

/**
 * Reads the room's stream in order from a start sequence with an ordered consumer, and hands
 * each message to `take` once, in the stream's order. After NATS comes back (`restart`), it makes
 * a new consumer from the message after the last one taken: the client's own recreation (3.3.1)
 * then pulled one message and waited for missed heartbeats, some 7 s, before the rest.
 */
export class RoomConsumer {
  private messages: ConsumerMessages | undefined;
  private next: number;
  private closed = false;
  private generation = 0;

  constructor(
    private readonly js: JetStreamClient,
    private readonly stream: string,
    startSeq: number,
    private readonly take: (message: RoomMessage) => void,
    private readonly log: (record: LogRecord) => void,
  ) {
    this.next = startSeq;
  }

  /** Starts reading from where it is (the start sequence, or after the last message taken). */
  async start(): Promise<void> {
    const generation = ++this.generation;
    void this.messages?.close();
    const consumer = await this.js.consumers.get(this.stream, {
      deliver_policy: DeliverPolicy.StartSequence,
      opt_start_seq: this.next,
    });
    const messages = await consumer.consume({ max_messages: 256, expires: PULL_EXPIRES_MS });
    if (this.closed || generation !== this.generation) {
      void messages.close();
      return;
    }
    this.messages = messages;
    void this.read(messages);
  }

  /** NATS is back: read on with a new consumer. */
  restart(): void {
    if (this.closed) return;
    this.start().catch((error: unknown) => {
      this.log({ event: 'cluster-consumer-error', detail: natsProblem(error) });
    });
  }

  close(): void {
    this.closed = true;
    void this.messages?.close();
  }

  private async read(messages: ConsumerMessages): Promise<void> {
    try {
      for await (const m of messages) {
        // A consumer replaced after a reconnect may still bring what the new one brings too.
        if (m.seq < this.next) continue;
        this.next = m.seq + 1;
        const data = Buffer.from(m.data);
        // What a hub publishes ends in LF; anything else on the subject is not ours.
        if (data.length === 0 || data[data.length - 1] !== LF) {
          this.log({ event: 'cluster-foreign', seq: m.seq, bytes: data.length });
          continue;
        }
        this.take({ seq: m.seq, data, segments: segmentsOf(m.headers?.get(SENDERS_HEADER), data) });
      }
    } catch (error) {
      if (!this.closed) this.log({ event: 'cluster-consumer-error', detail: natsProblem(error) });
    }
  }
}
