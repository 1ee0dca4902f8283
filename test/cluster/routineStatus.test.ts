import type { ConsumerNotification } from '@nats-io/jetstream';
import { describe, expect, it } from 'vitest';
import { isRoutine } from '../../src/cluster/roomConsumer.ts';

const status = (fields: Record<string, unknown>) => fields as unknown as ConsumerNotification;

describe("the room consumer's log", () => {
  it('leaves out what a healthy consumer says every few seconds, and keeps what says it is in trouble', () => {
    // A quiet room: each 5 s pull expires with nothing to bring.
    expect(isRoutine(status({ type: 'discard', messagesLeft: 256, bytesLeft: 0 }))).toBe(true);
    expect(isRoutine(status({ type: 'debug', code: 408, description: 'request timeout' }))).toBe(true);
    expect(isRoutine(status({ type: 'heartbeat' }))).toBe(true);
    expect(isRoutine(status({ type: 'next' }))).toBe(true);
    for (const type of ['heartbeats_missed', 'reset', 'consumer_deleted', 'consumer_not_found'])
      expect(isRoutine(status({ type }))).toBe(false);
    expect(isRoutine(status({ type: 'debug', code: 409, description: 'consumer deleted' }))).toBe(false);
  });
});
