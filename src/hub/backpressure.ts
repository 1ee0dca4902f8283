import type { PeerId } from '../actors/hubEvent.ts';
import { PauseReason, type PeerActor } from '../actors/peerActor.ts';

/** How long after an overload ends a peer's queue may still be over its limit. */
export const OVERLOAD_GRACE_MS = 2_000;

/** What backpressure needs of a peer: a way to pause its reading. */
export type Pausable = Pick<PeerActor, 'pauseReading'>;

/**
 * Overload protection, as NATS does it: when outbound queues back up, the hub stops reading from
 * everyone (TCP then slows the senders) until they drain. That happens when the writes to a
 * quarter of the peers (two at least) back up, or when one peer passes its queue limit while
 * others are backed up too: the load is then the room's, and the peer gets a moment to catch up
 * (`admitOverLimit`). A single stuck reader does not pause anyone: its own queue limit drops it
 * as a slow consumer.
 */
export class Backpressure<Peer extends Pausable> {
  private readonly congested = new Set<Peer>();
  /** Peers over their queue limit that the hub waits for. */
  private readonly overLimit = new Set<Peer>();
  active = false;
  /** When reading last resumed after an overload (on `now`'s clock). */
  private endedAt = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly peers: ReadonlyMap<PeerId, Peer>,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /**
   * Whether queues may be over their limit because of the load, not the reader: while reading is
   * paused, and for OVERLOAD_GRACE_MS after. Under sustained overload the pause flaps on and off;
   * a reader that is draining the backlog of the last pause is not a slow consumer.
   */
  overloaded(): boolean {
    return this.active || this.now() - this.endedAt < OVERLOAD_GRACE_MS;
  }

  update(peer: Peer, congested: boolean): void {
    if (congested) this.congested.add(peer);
    else this.congested.delete(peer);
    this.apply();
  }

  /**
   * A peer has passed its queue limit. If it is the only one backed up, it alone is slow: false.
   * Otherwise the hub pauses reading until `underLimit(peer)` (or `forget`) and says true.
   */
  admitOverLimit(peer: Peer): boolean {
    const others = this.congested.size - (this.congested.has(peer) ? 1 : 0);
    if (others === 0) return false;
    this.overLimit.add(peer);
    this.apply();
    return true;
  }

  underLimit(peer: Peer): void {
    if (this.overLimit.delete(peer)) this.apply();
  }

  forget(peer: Peer): void {
    const known = this.congested.delete(peer);
    if (this.overLimit.delete(peer) || known) this.apply();
  }

  private apply(): void {
    const active =
      this.overLimit.size > 0 || this.congested.size >= Math.max(2, Math.ceil(this.peers.size / 4));
    if (active === this.active) return;
    this.active = active;
    if (!active) this.endedAt = this.now();
    for (const peer of this.peers.values()) peer.pauseReading(PauseReason.Backpressure, active);
  }
}
