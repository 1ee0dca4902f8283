import type { PeerId } from '../actors/hubEvent.ts';
import { OverLimit, PauseReason, type PeerActor } from '../actors/peerActor.ts';

/** What backpressure needs of a peer: a way to pause its reading. */
export type Pausable = Pick<PeerActor, 'pauseReading'>;

/**
 * Overload protection, as NATS does it: when outbound queues back up, the hub stops reading from
 * everyone (TCP then slows the senders) until they drain. That happens when the writes to a
 * quarter of the peers (two at least) back up, or when one peer passes its queue limit while
 * others are backed up too: the load is then the room's, and reading waits for that peer to catch
 * up (`overLimit`). A reader behind on its own pauses no one: it must keep taking, or it is
 * dropped as a slow consumer.
 */
export class Backpressure<Peer extends Pausable> {
  private readonly congested = new Set<Peer>();
  /** Peers over their queue limit that the hub waits for. */
  private readonly waitingFor = new Set<Peer>();
  active = false;

  constructor(private readonly peers: ReadonlyMap<PeerId, Peer>) {}

  update(peer: Peer, congested: boolean): void {
    if (congested) this.congested.add(peer);
    else this.congested.delete(peer);
    this.apply();
  }

  /**
   * A peer has passed its queue limit. While reading is paused, the backlog is the load's: Allow.
   * If others are backed up too, reading pauses until `underLimit(peer)` (or `forget`): CatchUp.
   * Otherwise it alone is behind: Watch.
   */
  overLimit(peer: Peer): OverLimit {
    if (this.active) return OverLimit.Allow;
    const others = this.congested.size - (this.congested.has(peer) ? 1 : 0);
    if (others === 0) return OverLimit.Watch;
    this.waitingFor.add(peer);
    this.apply();
    return OverLimit.CatchUp;
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
    for (const peer of this.peers.values()) peer.pauseReading(PauseReason.Backpressure, active);
  }
}
