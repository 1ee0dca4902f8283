import type { PeerId } from '../streams/hubEvent.ts';
import { PauseReason, type PeerActor } from './peerActor.ts';
import {
  FIRST_CATCH_UP_MS,
  NEW_READER_WAIT_BURST_MS,
  NEW_READER_WAIT_MS_PER_SECOND,
} from '../config/queueLimits.ts';
import { TokenBucket } from './tokenBucket.ts';

/** What backpressure needs of a peer: a way to pause its reading, and whether it has read. */
export type Pausable = Pick<PeerActor, 'pauseReading' | 'seenReading'>;

export { NEW_READER_WAIT_BURST_MS, NEW_READER_WAIT_MS_PER_SECOND } from '../config/queueLimits.ts';

/**
 * The room's answer when a peer falls behind: `wait` if reading stops until the peer has caught up
 * (`underLimit` ends the wait); `later` if reading is paused for everyone already, and the peer is
 * asked again on its next frame, so that the room may wait for it once the pause lifts; `no` if
 * no one waits for it.
 */
export type WaitVerdict = 'wait' | 'later' | 'no';

/** What a peer's outbound queue tells the room's backpressure, and asks of it (OutboundQueue). */
export interface RoomBackpressure<Peer> {
  /** Its writes have backed up, or it has written all it held (or is closing). */
  update(peer: Peer, congested: boolean): void;
  /** It has fallen behind (passed its queue limit). */
  waitFor(peer: Peer): WaitVerdict;
  /** The wait for it has ended: back to half its limit, its time out, or closing. */
  underLimit(peer: Peer): void;
}

/**
 * Overload protection, as NATS does it: when outbound queues back up, the hub stops reading from
 * everyone (TCP then slows the senders) until they drain. That happens while the writes to a
 * quarter of the peers (two at least) are backed up, and for a moment when one peer falls behind
 * (passes its queue limit): reading waits for it to catch up, for CATCH_UP_MS at most (`waitFor`).
 * A reader that stays behind pauses no one after that; its hard limit and stuck timer drop it.
 * Readers never seen reading count for neither, but for a short wait within a budget.
 */
export class Backpressure<Peer extends Pausable> implements RoomBackpressure<Peer> {
  private readonly congested = new Set<Peer>();
  /** Peers over their queue limit that the hub waits for. */
  private readonly waitingFor = new Set<Peer>();
  active = false;
  private readonly newReaderWaits: TokenBucket;

  constructor(
    private readonly peers: ReadonlyMap<PeerId, Peer>,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.newReaderWaits = new TokenBucket(NEW_READER_WAIT_MS_PER_SECOND, NEW_READER_WAIT_BURST_MS, now());
  }

  update(peer: Peer, congested: boolean): void {
    if (congested) this.congested.add(peer);
    else this.congested.delete(peer);
    this.apply();
  }

  /**
   * A peer has fallen behind: the hub waits for it, until `underLimit(peer)` (or `forget`). Not
   * while reading is paused for everyone already, nor for a reader never seen reading while the
   * time for those is spent: `later`, and the peer asks again on its next frame (a busy healthy
   * newcomer then gets its wait once the budget allows; a wave of non-readers gets one at a time).
   */
  waitFor(peer: Peer): WaitVerdict {
    if (this.active) return 'later';
    if (!peer.seenReading) {
      const now = this.now();
      if (this.newReaderWaits.available(now) < FIRST_CATCH_UP_MS) return 'later';
      this.newReaderWaits.take(FIRST_CATCH_UP_MS, now);
    }
    this.waitingFor.add(peer);
    this.apply();
    return 'wait';
  }

  underLimit(peer: Peer): void {
    if (this.waitingFor.delete(peer)) this.apply();
  }

  forget(peer: Peer): void {
    const known = this.congested.delete(peer);
    if (this.waitingFor.delete(peer) || known) this.apply();
  }

  private apply(): void {
    const active =
      this.waitingFor.size > 0 || this.congested.size >= Math.max(2, Math.ceil(this.peers.size / 4));
    if (active === this.active) return;
    this.active = active;
    for (const peer of this.peers.values()) {
      // A peer resumed here frames what it held, and a delivery of those frames may turn the
      // pause back on (a nested apply that has paused everyone): the rest must not be resumed.
      if (this.active !== active) return;
      peer.pauseReading(PauseReason.Backpressure, active);
    }
  }
}
