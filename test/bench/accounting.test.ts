import { describe, expect, it } from 'vitest';
import { RunAccounting } from '../../src/bench/accounting.ts';

const MS = 1e6;

function acct(clients = 4, senders = 2, window = 0) {
  return new RunAccounting({
    clients,
    senders,
    measStart: 1000 * MS,
    measEnd: 2000 * MS,
    ready: new Uint8Array(clients).fill(1),
    window,
  });
}

describe('run accounting', () => {
  it('counts expected deliveries only for measured messages, at every ready client but the sender', () => {
    const a = acct();
    a.onSend(0, 500 * MS, 500 * MS); // warm-up: not measured
    for (let i = 0; i < 10; i++) a.onSend(0, (1000 + i) * MS, (1000 + i) * MS);
    for (let i = 0; i < 5; i++) a.onSend(1, (1500 + i) * MS, (1500 + i) * MS);
    a.onSend(1, 2000 * MS, 2000 * MS); // after the window
    expect(a.sent).toBe(15);
    expect(a.sentTotal).toBe(17);
    expect(a.expectedTotal()).toBe(15 * 3);
  });

  it('computes latency from the send time carried in the frame, and counts loss', () => {
    const a = acct();
    for (let i = 0; i < 4; i++) a.onSend(0, (1000 + i) * MS, (1000 + i) * MS);
    for (const r of [1, 2, 3])
      for (let seq = 0; seq < 4; seq++) {
        if (r === 3 && seq === 2) continue; // lost at client 3
        const t = (1000 + seq) * MS;
        a.onDelivery(r, 0, seq, t + 0.5 * MS, t, t + (1 + r) * MS);
      }
    const t = a.totals(1);
    expect(t.expected).toBe(12);
    expect(t.received).toBe(11);
    expect(t.lost).toBe(1);
    expect(t.duplicated).toBe(0);
    expect(t.reordered).toBe(0);
    expect(a.latency.count).toBe(11);
    // receive − actual send: 1.5, 2.5, 3.5 ms; receive − scheduled: 2, 3, 4 ms
    expect(a.latency.percentile(0.01) / MS).toBeCloseTo(1.5, 1);
    expect(a.latency.percentile(1) / MS).toBeCloseTo(3.5, 1);
    expect(a.schedLatency.percentile(1) / MS).toBeCloseTo(4, 1);
    expect(t.deliveriesInWindow).toBe(11);
  });

  it('detects duplicates, reordering, echoes and foreign tokens per (receiver, sender)', () => {
    const a = acct(3, 2);
    for (let i = 0; i < 5; i++) a.onSend(0, 1100 * MS, 1100 * MS);
    a.onSend(1, 1100 * MS, 1100 * MS);
    const now = 1200 * MS;
    const d = (r: number, s: number, seq: number) => a.onDelivery(r, s, seq, 1100 * MS, 1100 * MS, now);
    d(1, 0, 0);
    d(1, 0, 2);
    d(1, 0, 1); // after a higher one: reordered
    d(1, 0, 2); // again: duplicated
    d(2, 0, 1); // other receiver, its own order
    d(2, 0, 0); // reordered for receiver 2
    d(0, 0, 3); // the sender got its own message back
    d(1, 5, 0); // no such sender
    d(1, 0, 99); // never sent
    d(0, 1, 0); // sender 1's message at client 0: fine, even though 1 = 0's index... distinct pair
    const t = a.totals(1);
    expect(t.duplicated).toBe(1);
    expect(t.reordered).toBe(2);
    expect(t.echoed).toBe(1);
    expect(t.foreign).toBe(2);
    expect(t.received).toBe(6);
    expect(t.expected).toBe(5 * 2 + 1 * 2);
    expect(t.lost).toBe(6);
  });

  it('grows its bitsets for long runs', () => {
    const a = acct(2, 1);
    const n = 100_000;
    for (let i = 0; i < n; i++) a.onSend(0, 1500 * MS, 1500 * MS);
    for (let i = 0; i < n; i++) a.onDelivery(1, 0, i, 1500 * MS, 1500 * MS, 1501 * MS);
    a.onDelivery(1, 0, n - 1, 1500 * MS, 1500 * MS, 1501 * MS);
    expect(a.totals(1)).toMatchObject({ received: n, lost: 0, duplicated: 1, reordered: 0 });
  });

  it('does not expect deliveries at clients that were not ready', () => {
    const ready = new Uint8Array([1, 1, 0]);
    const a = new RunAccounting({ clients: 3, senders: 1, measStart: 0, measEnd: 10, ready });
    a.onSend(0, 1, 1);
    a.onDelivery(1, 0, 0, 1, 1, 2);
    a.onDelivery(2, 0, 0, 1, 1, 2); // arrived anyway: not counted against expected
    expect(a.totals(1)).toMatchObject({ expected: 1, received: 1, lost: 0 });
  });

  it('max mode: a message leaves the window once all others have it, or something later', () => {
    const a = acct(3, 1, 4);
    const t = 1100 * MS;
    for (let i = 0; i < 4; i++) a.onSend(0, t, t);
    expect(a.canSend(0)).toBe(false);
    a.onDelivery(1, 0, 0, t, t, t);
    expect(a.canSend(0)).toBe(false); // client 2 still lacks seq 0
    a.onDelivery(2, 0, 0, t, t, t);
    expect(a.canSend(0)).toBe(true);
    expect(a.inFlight(0)).toBe(3);
    expect(a.windowMoved).toBe(true);
    // client 1 misses seq 1 but gets seq 2: past it, so seq 1 does not stall the window
    a.onDelivery(1, 0, 2, t, t, t);
    a.onDelivery(2, 0, 1, t, t, t);
    a.onDelivery(2, 0, 2, t, t, t);
    expect(a.low[0]).toBe(3);
    // a message nobody delivers times out
    a.advance(0, t + 3e9);
    expect(a.low[0]).toBe(4);
    expect(a.windowTimeouts).toBe(1);
  });
});
