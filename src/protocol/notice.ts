import { DIGEST_PATTERN } from './frameDigest.ts';

/**
 * Notice frames (docs/protocol.md): lines that start with `#`, from the hub to one client, never
 * relayed. Clients ignore notices they do not know, and extra words at the end of one they do:
 * that is how the protocol grows without a new version.
 */
export const PROTOCOL = 'fernet-chat/1';

/** How a history answer ended: every frame asked for was sent, or some could not be. */
export type HistoryOutcome = 'complete' | 'gap';

/** Written for "no frame" where a digest would stand: an empty history, a client that saw none. */
export const NO_DIGEST = '-';

export const notice = {
  /**
   * `epoch` names this run of the hub's history (a hub that restarts has a new one); `last` is
   * the digest of the newest frame in history as the peer joined, or `-`: a client that resumes
   * later and saw nothing after it resumes from there.
   */
  hello: (peer: number, online: number, epoch?: string, last: string = NO_DIGEST) =>
    epoch === undefined
      ? `#hello ${PROTOCOL} ${peer} ${online}`
      : `#hello ${PROTOCOL} ${peer} ${online} ${epoch} ${last}`,
  /** The frames that follow, up to `#history-end`, are from history, in the room's order. */
  historyStart: () => '#history-start',
  historyEnd: (sent: number, outcome: HistoryOutcome) => `#history-end ${sent} ${outcome}`,
  joined: (peer: number, online: number) => `#joined ${peer} ${online}`,
  left: (peer: number, online: number, reason: string) => `#left ${peer} ${online} ${oneWord(reason)}`,
  error: (code: string, detail: string) => `#error ${code} ${oneLine(detail)}`,
  bye: (reason: string) => `#bye ${oneWord(reason)}`,
  ping: () => '#ping',
  pong: () => '#pong',
} as const;

/** What a client asks the hub for (docs/protocol.md); the hub parses them with parseHistoryRequest. */
export const request = {
  /** The last `count` frames before this connection joined. */
  history: (count: number) => `#history ${count}`,
  /** Every frame after the one named `after` (`-`: from the start of `epoch`) up to this join. */
  resume: (epoch: string, after: string = NO_DIGEST) => `#resume ${epoch} ${after}`,
} as const;

export type ParsedNotice =
  | {
      readonly kind: 'hello';
      readonly protocol: string;
      readonly peer: number;
      readonly online: number;
      /** Absent from hubs that keep no history (older ones). */
      readonly epoch?: string;
      /** The newest frame's digest as the peer joined; absent when the history was empty. */
      readonly last?: string;
    }
  | { readonly kind: 'history-start' }
  | { readonly kind: 'history-end'; readonly sent: number; readonly outcome: HistoryOutcome }
  | { readonly kind: 'joined'; readonly peer: number; readonly online: number }
  | { readonly kind: 'left'; readonly peer: number; readonly online: number; readonly reason: string }
  | { readonly kind: 'error'; readonly code: string; readonly detail: string }
  | { readonly kind: 'bye'; readonly reason: string }
  | { readonly kind: 'ping' }
  | { readonly kind: 'pong' }
  | { readonly kind: 'unknown'; readonly text: string };

/** Parses a notice line (without its LF). Anything unexpected is `unknown`, which clients ignore. */
export function parseNotice(text: string): ParsedNotice {
  const [word = '', ...args] = text.slice(1).split(' ');
  const int = (value: string | undefined) =>
    value !== undefined && /^\d+$/.test(value) ? Number(value) : -1;
  switch (word) {
    case 'hello': {
      const hello = {
        kind: 'hello',
        protocol: args[0] ?? '',
        peer: int(args[1]),
        online: int(args[2]),
      } as const;
      const [epoch, last] = [args[3], args[4]];
      if (epoch === undefined || !EPOCH_PATTERN.test(epoch)) return hello;
      return last !== undefined && DIGEST_PATTERN.test(last)
        ? { ...hello, epoch, last }
        : { ...hello, epoch };
    }
    case 'history-start':
      return { kind: 'history-start' };
    case 'history-end':
      return {
        kind: 'history-end',
        sent: Math.max(0, int(args[0])),
        outcome: args[1] === 'complete' ? 'complete' : 'gap',
      };
    case 'joined':
      return { kind: 'joined', peer: int(args[0]), online: int(args[1]) };
    case 'left':
      return { kind: 'left', peer: int(args[0]), online: int(args[1]), reason: args[2] ?? '' };
    case 'error':
      return { kind: 'error', code: args[0] ?? '', detail: args.slice(1).join(' ') };
    case 'bye':
      return { kind: 'bye', reason: args[0] ?? '' };
    case 'ping':
      return { kind: 'ping' };
    case 'pong':
      return { kind: 'pong' };
    default:
      return { kind: 'unknown', text };
  }
}

/** An epoch is a short base64url word (the hub makes 11 characters of 8 random bytes). */
export const EPOCH_PATTERN = /^[A-Za-z0-9_-]{1,32}$/;

function oneWord(text: string): string {
  return text.replace(/\s+/g, '-') || '-';
}

function oneLine(text: string): string {
  return text.replace(/[\r\n]+/g, ' ');
}
