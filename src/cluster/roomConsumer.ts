import {
  type Consumer,
  type ConsumerMessages,
  type ConsumerNotification,
  DeliverPolicy,
  type JetStreamClient,
} from '@nats-io/jetstream';
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
 * NATS sends a heartbeat this often while a pull waits with nothing to bring; two missed (2 s
 * without a message or a heartbeat) mean that no pull is being served: we start again.
 */
const IDLE_HEARTBEAT_MS = 1_000;
/** A new consumer that could not be made is tried again after this (or when NATS is back). */
const RETRY_MS = 1_000;
/** At most one log line a second for each kind of status the consumer reports. */
const LOG_EVERY_MS = 1_000;
/**
 * What the client's consumer reports when it has stopped bringing messages: we replace it with
 * a new one from the message after the last one taken, at once. The client's own recovery (3.3.1)
 * recreates the consumer but keeps its count of messages still to come from the old one's pulls,
 * which the new one never serves, so it pulls a handful and then waits for two more missed
 * heartbeats before pulling in full: 5 to 7 s with nothing delivered, each time.
 */
const STALLED = new Set<ConsumerNotification['type']>([
  'reset',
  'heartbeats_missed',
  'consumer_deleted',
  'consumer_not_found',
  'no_responders',
]);

/**
 * Reads the room's stream in order from a start sequence with an ordered consumer, and hands
 * each message to `take` once, in the stream's order. Whenever that consumer stalls (it reports
 * a reset, missed heartbeats, or its consumer gone) or NATS comes back (`restart`), it makes a
 * new consumer from the message after the last one taken, rather than wait for the client's own
 * recovery (see STALLED).
 */
export class RoomConsumer {
  private messages: ConsumerMessages | undefined;
  private consumer: Consumer | undefined;
  private next: number;
  private closed = false;
  private generation = 0;
  private retry: NodeJS.Timeout | undefined;

  /** Whether a consumer has been made once: later ones are made with `clients.again`. */
  private made = false;

  constructor(
    /** JetStream as the first consumer is made with, and as later ones are (shorter timeouts). */
    private readonly clients: { readonly first: JetStreamClient; readonly again: JetStreamClient },
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
    clearTimeout(this.retry);
    // The old consumer's messages still on their way are not read: the new one brings them again.
    void this.messages?.close();
    this.messages = undefined;
    // An ephemeral consumer lingers on the server for minutes once left: delete it now.
    void this.consumer?.delete().catch(() => {});
    this.consumer = undefined;
    const js = this.made ? this.clients.again : this.clients.first;
    const consumer = await js.consumers.get(this.stream, {
      deliver_policy: DeliverPolicy.StartSequence,
      opt_start_seq: this.next,
    });
    const messages = await consumer.consume({
      max_messages: 256,
      expires: PULL_EXPIRES_MS,
      idle_heartbeat: IDLE_HEARTBEAT_MS,
    });
    if (this.closed || generation !== this.generation) {
      void messages.close();
      void consumer.delete().catch(() => {});
      return;
    }
    this.made = true;
    this.consumer = consumer;
    this.messages = messages;
    void this.read(messages, generation);
    void this.watch(messages, generation);
  }

  /** NATS is back, or the consumer stalled: read on with a new consumer, until one is made. */
  restart(): void {
    if (this.closed) return;
    this.start().catch((error: unknown) => {
      this.note({ event: 'cluster-consumer-error', detail: natsProblem(error) });
      if (this.closed) return;
      clearTimeout(this.retry);
      this.retry = setTimeout(() => this.restart(), RETRY_MS);
    });
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.retry);
    void this.messages?.close();
    void this.consumer?.delete().catch(() => {});
  }

  /** What the client's consumer says about itself, as `cluster-consumer-…` log lines. */
  private async watch(messages: ConsumerMessages, generation: number): Promise<void> {
    for await (const status of messages.status()) {
      if (generation !== this.generation || this.closed) return;
      if (isRoutine(status)) continue;
      this.noteStatus(status, generation);
      if (STALLED.has(status.type)) {
        this.note({ event: 'cluster-consumer-restart', from: this.next, after: status.type });
        this.restart();
        return;
      }
    }
  }

  /** A status as a `cluster-consumer-<type>` line, with what it says and where we are. */
  private noteStatus(status: ConsumerNotification, generation: number): void {
    const record: Record<string, string | number> = {
      event: `cluster-consumer-${status.type.replaceAll('_', '-')}`,
      next: this.next,
      generation,
    };
    for (const [key, value] of Object.entries(status))
      if (key !== 'type' && (typeof value === 'string' || typeof value === 'number')) record[key] = value;
    this.note(record as LogRecord);
  }

  private readonly lastLogged = new Map<string, { at: number; quiet: number }>();

  /**
   * Logs, at most one line a second for each event (a stalling NATS may say the same thing many
   * times); the next line logged for it says how many were not (`unlogged`).
   */
  private note(record: LogRecord): void {
    const now = Date.now();
    const last = this.lastLogged.get(record.event);
    if (last !== undefined && now - last.at < LOG_EVERY_MS) {
      last.quiet++;
      return;
    }
    this.lastLogged.set(record.event, { at: now, quiet: 0 });
    this.log(last !== undefined && last.quiet > 0 ? { ...record, unlogged: last.quiet } : record);
  }

  private async read(messages: ConsumerMessages, generation: number): Promise<void> {
    try {
      for await (const m of messages) {
        if (generation !== this.generation) return;
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
      if (!this.closed && generation === this.generation)
        this.log({ event: 'cluster-consumer-error', detail: natsProblem(error) });
    }
  }
}

/**
 * What a healthy consumer says all the time: heartbeats, its next pulls, and each pull that
 * expired with nothing to bring (a `discard` of what it had asked for, and a 408): in a quiet
 * room that is two lines every 5 s, so they are not logged.
 */
export function isRoutine(status: ConsumerNotification): boolean {
  if (status.type === 'heartbeat' || status.type === 'next' || status.type === 'discard') return true;
  return status.type === 'debug' && 'code' in status && status.code === 408;
}
