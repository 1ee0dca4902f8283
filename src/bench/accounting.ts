import { Histogram } from './histogram.ts';

/**
 * Per-run bookkeeping of the load generator, kept free of sockets so it can be tested on
 * synthetic input. Times are nanoseconds on the generator's clock (see token.ts).
 *
 * - A message is *measured* when its scheduled send time falls in [measStart, measEnd).
 * - Deliveries of a measured message are *expected* at every client that was ready at the start
 *   (the hub had proven it relays to it), except its sender.
 * - Per (receiver, sender) pair a bitset of sequence numbers gives duplicates (seen twice) and
 *   reordering (a sequence number arriving after a higher one).
 * - In max mode (window > 0) each sender may have at most `window` messages in flight; one stops
 *   being in flight once every other ready client has received it or something later from the
 *   same sender (so a lost message cannot stall the window), or after `windowTimeoutNs`.
 */
export interface AccountingOptions {
  clients: number;
  senders: number;
  measStart: number;
  measEnd: number;
  /** 1 for each client that was ready (proven relayed to) at the start of the run */
  ready: Uint8Array;
  /** max mode: messages in flight per sender; 0 (default) = paced */
  window?: number;
  windowTimeoutNs?: number;
}

export interface AccountingTotals {
  sent: number;
  sentTotal: number;
  expected: number;
  received: number;
  lost: number;
  deliveriesInWindow: number;
  deliveriesTotal: number;
  duplicated: number;
  reordered: number;
  malformed: number;
  foreign: number;
  echoed: number;
  notices: number;
  windowTimeouts: number;
}

export class RunAccounting {
  readonly clients: number;
  readonly senders: number;
  readonly measStart: number;
  readonly measEnd: number;
  readonly ready: Uint8Array;
  readonly readyCount: number;
  readonly window: number;
  readonly windowTimeoutNs: number;

  /** next sequence number of each sender */
  readonly seqNext: Float64Array;
  private readonly measFirst: Float64Array;
  private readonly measStop: Float64Array;
  /** max mode: oldest incomplete sequence number per sender */
  readonly low: Float64Array;
  private readonly wcnt: Uint32Array[];
  private readonly wts: Float64Array[];
  private readonly tracks: (Uint32Array | undefined)[];
  private readonly maxSeq1: Float64Array;
  /** set when a sender's window moved; the generator clears it after pumping */
  windowMoved = false;

  readonly latency = new Histogram();
  readonly schedLatency = new Histogram();
  readonly lag = new Histogram();

  sent = 0;
  sentTotal = 0;
  receivedMeasured = 0;
  deliveriesInWindow = 0;
  deliveriesTotal = 0;
  duplicated = 0;
  reordered = 0;
  malformed = 0;
  foreign = 0;
  echoed = 0;
  notices = 0;
  windowTimeouts = 0;
  lastDeliveryAt = 0;

  constructor(o: AccountingOptions) {
    this.clients = o.clients;
    this.senders = o.senders;
    this.measStart = o.measStart;
    this.measEnd = o.measEnd;
    this.ready = o.ready;
    let r = 0;
    for (let i = 0; i < o.clients; i++) if (o.ready[i]) r++;
    this.readyCount = r;
    this.window = o.window ?? 0;
    this.windowTimeoutNs = o.windowTimeoutNs ?? 2e9;
    const s = o.senders;
    this.seqNext = new Float64Array(s);
    this.measFirst = new Float64Array(s).fill(-1);
    this.measStop = new Float64Array(s);
    this.low = new Float64Array(s);
    this.wcnt = [];
    this.wts = [];
    for (let i = 0; i < s; i++) {
      this.wcnt.push(new Uint32Array(this.window));
      this.wts.push(new Float64Array(this.window));
    }
    this.tracks = new Array(o.clients * s);
    this.maxSeq1 = new Float64Array(o.clients * s);
  }

  /** max mode: may this sender send another message now? */
  canSend(sender: number): boolean {
    return this.seqNext[sender]! - this.low[sender]! < this.window;
  }

  inFlight(sender: number): number {
    return this.seqNext[sender]! - this.low[sender]!;
  }

  /** Registers a message and returns its sequence number. */
  onSend(sender: number, tsched: number, tact: number): number {
    const seq = this.seqNext[sender]!;
    this.seqNext[sender] = seq + 1;
    this.sentTotal++;
    if (tsched >= this.measStart && tsched < this.measEnd) {
      if (this.measFirst[sender]! < 0) this.measFirst[sender] = seq;
      this.measStop[sender] = seq + 1;
      this.sent++;
    }
    if (this.window > 0) {
      const k = seq % this.window;
      this.wcnt[sender]![k] = 0;
      this.wts[sender]![k] = tact;
    } else {
      this.lag.record(tact - tsched);
    }
    return seq;
  }

  /** A data line from `sender` arrived at `receiver` at time `now`. */
  onDelivery(receiver: number, sender: number, seq: number, tact: number, tsched: number, now: number): void {
    if (sender >= this.senders) {
      this.foreign++;
      return;
    }
    if (sender === receiver) {
      this.echoed++;
      return;
    }
    if (seq >= this.seqNext[sender]!) {
      this.foreign++; // never sent in this run
      return;
    }
    const ti = receiver * this.senders + sender;
    const word = Math.floor(seq / 32);
    let bits = this.tracks[ti];
    if (bits === undefined || word >= bits.length) {
      let n = bits === undefined ? 64 : bits.length;
      while (n <= word) n *= 2;
      const grown = new Uint32Array(n);
      if (bits !== undefined) grown.set(bits);
      this.tracks[ti] = grown;
      bits = grown;
    }
    const bit = 1 << (seq & 31);
    if ((bits[word]! & bit) !== 0) {
      this.duplicated++;
      return;
    }
    bits[word] = bits[word]! | bit;
    const prev = this.maxSeq1[ti]!;
    if (seq + 1 < prev) this.reordered++;
    else this.maxSeq1[ti] = seq + 1;
    this.deliveriesTotal++;
    this.lastDeliveryAt = now;
    if (now >= this.measStart && now < this.measEnd) this.deliveriesInWindow++;
    if (tsched >= this.measStart && tsched < this.measEnd && this.ready[receiver]) {
      this.receivedMeasured++;
      this.latency.record(now - tact);
      this.schedLatency.record(now - tsched);
    }
    if (this.window > 0 && seq >= prev) {
      // this receiver is now past every seq <= this one of that sender
      const low = this.low[sender]!;
      const stop = Math.min(seq, this.seqNext[sender]! - 1);
      const cnt = this.wcnt[sender]!;
      for (let j = Math.max(prev, low); j <= stop; j++) cnt[j % this.window]!++;
      if (prev <= low) this.advance(sender, now);
    }
  }

  /** max mode: retire completed (or timed-out) messages at the front of a sender's window. */
  advance(sender: number, now: number): void {
    const need = this.readyCount - (this.ready[sender] ? 1 : 0);
    const cnt = this.wcnt[sender]!;
    const ts = this.wts[sender]!;
    let low = this.low[sender]!;
    const next = this.seqNext[sender]!;
    const start = low;
    while (low < next) {
      const k = low % this.window;
      if (cnt[k]! >= need) {
        cnt[k] = 0;
        low++;
      } else if (now - ts[k]! > this.windowTimeoutNs) {
        this.windowTimeouts++;
        cnt[k] = 0;
        low++;
      } else break;
    }
    if (low !== start) {
      this.low[sender] = low;
      this.windowMoved = true;
    }
  }

  /** Deliveries still expected for measured messages (for the drain phase). */
  expectedTotal(): number {
    let e = 0;
    for (let s = 0; s < this.senders; s++) {
      const first = this.measFirst[s]!;
      if (first < 0) continue;
      e += (this.measStop[s]! - first) * (this.readyCount - (this.ready[s] ? 1 : 0));
    }
    return e;
  }

  totals(durationS: number): AccountingTotals & { deliveriesPerS: number } {
    const expected = this.expectedTotal();
    return {
      sent: this.sent,
      sentTotal: this.sentTotal,
      expected,
      received: this.receivedMeasured,
      lost: expected - this.receivedMeasured,
      deliveriesInWindow: this.deliveriesInWindow,
      deliveriesTotal: this.deliveriesTotal,
      deliveriesPerS: durationS > 0 ? this.deliveriesInWindow / durationS : 0,
      duplicated: this.duplicated,
      reordered: this.reordered,
      malformed: this.malformed,
      foreign: this.foreign,
      echoed: this.echoed,
      notices: this.notices,
      windowTimeouts: this.windowTimeouts,
    };
  }
}
