/** What one hub says about itself in each presence message (docs/protocol.md, "Cluster"). */
export interface PresenceNews {
  readonly hub: number;
  readonly online: number;
  /** Its peers that joined and left since its last message. */
  readonly joined?: readonly number[];
  readonly left?: readonly { readonly peer: number; readonly reason: string }[];
  /** All its peers, in some messages (a small hub's, once a second): what the deltas missed. */
  readonly peers?: readonly number[];
}

/** What hearing a hub changed: the count of others, and who joined or left the room there. */
export interface PresenceChange {
  readonly countChanged: boolean;
  readonly joined: readonly number[];
  readonly left: readonly { readonly peer: number; readonly reason: string }[];
}

/** Why a peer that a hub's full list no longer has is gone (its leave was not heard). */
export const UNHEARD_LEAVE = 'gone';

/**
 * The other hubs of a room as their presence messages describe them: each one's online count
 * and the peers it was heard to have, until it has been silent for `timeoutMs` (a hub that died
 * or froze drops out, with its peers). The room's count is ours plus `others`. Presence travels at
 * most once, so a hub's full list, when it sends one, corrects what lost deltas left wrong. No I/O
 * and no clock: time comes in as `now`.
 */
export class PresenceBoard {
  private readonly hubs = new Map<number, { online: number; heardAt: number; peers: Set<number> }>();

  constructor(
    private readonly self: number,
    private readonly timeoutMs: number,
  ) {}

  /** Online on the other live hubs. */
  get others(): number {
    let sum = 0;
    for (const { online } of this.hubs.values()) sum += online;
    return sum;
  }

  /** Hubs heard from and not timed out. */
  get live(): number {
    return this.hubs.size;
  }

  /** Takes a hub's news (our own is ignored): what it changed. */
  hear(news: PresenceNews, now: number): PresenceChange {
    if (news.hub === this.self) return { countChanged: false, joined: [], left: [] };
    const known = this.hubs.get(news.hub);
    const peers = known?.peers ?? new Set<number>();
    const joined: number[] = [];
    const left: { peer: number; reason: string }[] = [];
    for (const peer of news.joined ?? []) if (!peers.has(peer)) joined.push(peer);
    for (const peer of joined) peers.add(peer);
    for (const entry of news.left ?? []) if (peers.delete(entry.peer)) left.push(entry);
    if (news.peers !== undefined) {
      const listed = new Set(news.peers);
      for (const peer of listed)
        if (!peers.has(peer)) {
          peers.add(peer);
          joined.push(peer);
        }
      for (const peer of peers)
        if (!listed.has(peer)) {
          peers.delete(peer);
          left.push({ peer, reason: UNHEARD_LEAVE });
        }
    }
    this.hubs.set(news.hub, { online: news.online, heardAt: now, peers });
    return { countChanged: known?.online !== news.online, joined, left };
  }

  /** Drops hubs silent for the timeout; returns the peers they were heard to have, gone with them. */
  expire(now: number): number[] {
    const gone: number[] = [];
    for (const [hub, { heardAt, peers }] of this.hubs)
      if (now - heardAt >= this.timeoutMs) {
        this.hubs.delete(hub);
        gone.push(...peers);
      }
    return gone;
  }
}

/** A presence message's bytes as JSON, or undefined if they are not one (ignored). */
export function parsePresence(data: Uint8Array): PresenceNews | undefined {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(data).toString('utf8'));
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const { hub, online, joined, left, peers } = value as Record<string, unknown>;
  if (!Number.isSafeInteger(hub) || !Number.isSafeInteger(online) || (online as number) < 0) return undefined;
  const ids = (list: unknown): number[] =>
    Array.isArray(list) ? list.filter((peer): peer is number => Number.isSafeInteger(peer)) : [];
  const gone = Array.isArray(left)
    ? left.filter(
        (entry): entry is { peer: number; reason: string } =>
          typeof entry === 'object' &&
          entry !== null &&
          Number.isSafeInteger((entry as { peer: unknown }).peer) &&
          typeof (entry as { reason: unknown }).reason === 'string',
      )
    : [];
  return {
    hub: hub as number,
    online: online as number,
    joined: ids(joined),
    left: gone,
    ...(Array.isArray(peers) ? { peers: ids(peers) } : {}),
  };
}
