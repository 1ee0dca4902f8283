/** What one hub says about itself in each presence message (docs/protocol.md, "Cluster"). */
export interface PresenceNews {
  readonly hub: number;
  readonly online: number;
  readonly joined?: readonly number[];
  readonly left?: readonly { readonly peer: number; readonly reason: string }[];
}

/**
 * The other hubs of a room as their presence messages describe them: each one's online count,
 * until it has been silent for `timeoutMs` (a hub that died or froze drops out). The room's count
 * is ours plus `others`. No I/O and no clock: time comes in as `now`.
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

  /** Takes a hub's news; true if the count of others changed. Our own messages are ignored. */
  hear(news: PresenceNews, now: number): boolean {
    if (news.hub === this.self) return false;
    const known = this.hubs.get(news.hub);
    const peers = known?.peers ?? new Set<number>();
    for (const peer of news.joined ?? []) peers.add(peer);
    for (const { peer } of news.left ?? []) peers.delete(peer);
    this.hubs.set(news.hub, { online: news.online, heardAt: now, peers });
    return known?.online !== news.online;
  }

  /**
   * Drops hubs silent for the timeout; returns the peers they were heard to have (the joins and
   * leaves their messages told of since we first heard them), who are gone with them.
   */
  expire(now: number): number[] {
    const gone: number[] = [];
    for (const [hub, { heardAt, peers }] of this.hubs)
      if (now - heardAt >= this.timeoutMs) {
        this.hubs.delete(hub);
        gone.push(...peers);
      }
    return gone;
  }

  /** Hubs heard from and not timed out. */
  get live(): number {
    return this.hubs.size;
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
  const { hub, online, joined, left } = value as Record<string, unknown>;
  if (!Number.isSafeInteger(hub) || !Number.isSafeInteger(online) || (online as number) < 0) return undefined;
  const peers = Array.isArray(joined) ? joined.filter((peer) => Number.isSafeInteger(peer)) : [];
  const gone = Array.isArray(left)
    ? left.filter(
        (entry): entry is { peer: number; reason: string } =>
          typeof entry === 'object' &&
          entry !== null &&
          Number.isSafeInteger((entry as { peer: unknown }).peer) &&
          typeof (entry as { reason: unknown }).reason === 'string',
      )
    : [];
  return { hub: hub as number, online: online as number, joined: peers as number[], left: gone };
}
