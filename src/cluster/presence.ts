import type { NatsConnection, Subscription } from '@nats-io/transport-node';
import type { HubEffect, PeerId } from '../streams/hubEvent.ts';
import { parsePresence, PresenceBoard } from './presenceBoard.ts';

/** How often a hub says its count, and how long silence takes a hub out of the room's count. */
export const PRESENCE_HEARTBEAT_MS = 200;
export const PRESENCE_TIMEOUT_MS = 900;
/** Every this many heartbeats a hub sends its whole list of peers, if it has at most ROSTER_LIMIT. */
const ROSTER_EVERY = 5;
const ROSTER_LIMIT = 1_000;

export interface RoomPresenceNews {
  readonly others: number;
  readonly joined: readonly PeerId[];
  readonly left: readonly { readonly peer: PeerId; readonly reason: string }[];
}

type Change = NonNullable<Extract<HubEffect, { type: 'presence' }>['change']>;

/**
 * Presence across the room over core NATS (at most once is enough: every heartbeat says it all
 * again). Each hub sends its online count, and the joins and leaves since its last message, at
 * once on a change and every PRESENCE_HEARTBEAT_MS; it hears the others' and tells the hub
 * (`onNews`) whenever the count of others or who is there changes.
 */
export class RoomPresence {
  private readonly board: PresenceBoard;
  private online = 0;
  private joined: PeerId[] = [];
  private left: { peer: PeerId; reason: string }[] = [];
  /** Our own peers, for the full list. */
  private readonly peers = new Set<PeerId>();
  private beats = 0;
  private flushScheduled = false;
  private readonly subscription: Subscription;
  private readonly heartbeat: NodeJS.Timeout;

  constructor(
    private readonly nc: NatsConnection,
    private readonly subject: string,
    private readonly hub: number,
    onNews: (news: RoomPresenceNews) => void,
  ) {
    this.board = new PresenceBoard(hub, PRESENCE_TIMEOUT_MS);
    this.subscription = nc.subscribe(subject, {
      callback: (error, message) => {
        if (error !== null) return;
        const news = parsePresence(message.data);
        if (news === undefined) return;
        const { countChanged, joined, left } = this.board.hear(news, performance.now());
        if (countChanged || joined.length > 0 || left.length > 0)
          onNews({ others: this.board.others, joined, left });
      },
    });
    this.heartbeat = setInterval(() => {
      this.send(++this.beats % ROSTER_EVERY === 0);
      const live = this.board.live;
      const gone = this.board.expire(performance.now());
      // A hub that stopped saying it is there: its peers are gone with it.
      if (this.board.live < live)
        onNews({
          others: this.board.others,
          joined: [],
          left: gone.map((peer) => ({ peer, reason: 'hub-gone' })),
        });
    }, PRESENCE_HEARTBEAT_MS);
  }

  /** The hub's own count, after a local join or leave (`change`). */
  update(online: number, change: Change | undefined): void {
    this.online = online;
    if (change?.kind === 'joined') {
      this.joined.push(change.peer);
      this.peers.add(change.peer);
    } else if (change?.kind === 'left') {
      this.left.push({ peer: change.peer, reason: change.reason });
      this.peers.delete(change.peer);
    }
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => {
      this.flushScheduled = false;
      this.send(false);
    });
  }

  close(): void {
    clearInterval(this.heartbeat);
    // Gone at once for the others, rather than after the timeout.
    this.online = 0;
    this.peers.clear();
    this.send(true);
    this.subscription.unsubscribe();
  }

  private send(withRoster: boolean): void {
    const roster = withRoster && this.peers.size <= ROSTER_LIMIT ? { peers: [...this.peers] } : {};
    const message = { hub: this.hub, online: this.online, joined: this.joined, left: this.left, ...roster };
    this.joined = [];
    this.left = [];
    try {
      this.nc.publish(this.subject, JSON.stringify(message));
    } catch {
      // A closed connection: the others time us out.
    }
  }
}
