import type { PeerId } from '../actors/hubEvent.ts';
import { PauseReason, type PeerActor } from '../actors/peerActor.ts';

/** What backpressure needs of a peer: a way to pause its reading. */
export type Pausable = Pick<PeerActor, 'pauseReading'>;

/**
 * Overload protection, as NATS does it: when outbound queues back up, the hub stops reading from
 * everyone (TCP then slows the senders) until they drain. That happens while the writes to a
 * quarter of the peers (two at least) are backed up, and for a moment when one peer falls behind
 * (passes its queue limit): reading waits for it to catch up, for CATCH_UP_MS at most (`waitFor`).
 * A reader that stays behind pauses no one after that; its hard limit and stuck timer drop it.
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
   * A peer has fallen behind: the hub waits for it, until `underLimit(peer)` (or `forget`). Not
   * while reading is paused for everyone already: false, and the peer asks again later.
   */
  waitFor(peer: Peer): boolean {
    if (this.active) return false;
    this.waitingFor.add(peer);
    this.apply();
    return true;
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
