/**
 * Notice frames (SPEC §4): lines that start with `#`, from the hub to one client, never relayed.
 */
export const PROTOCOL = 'fernet-chat/1';

export const notice = {
  hello: (peer: number, online: number) => `#hello ${PROTOCOL} ${peer} ${online}`,
  joined: (peer: number, online: number) => `#joined ${peer} ${online}`,
  left: (peer: number, online: number, reason: string) => `#left ${peer} ${online} ${oneWord(reason)}`,
  error: (code: string, detail: string) => `#error ${code} ${oneLine(detail)}`,
  bye: (reason: string) => `#bye ${oneWord(reason)}`,
  ping: () => '#ping',
  pong: () => '#pong',
} as const;

export type ParsedNotice =
  | { readonly kind: 'hello'; readonly protocol: string; readonly peer: number; readonly online: number }
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
    case 'hello':
      return { kind: 'hello', protocol: args[0] ?? '', peer: int(args[1]), online: int(args[2]) };
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

function oneWord(text: string): string {
  return text.replace(/\s+/g, '-') || '-';
}

function oneLine(text: string): string {
  return text.replace(/[\r\n]+/g, ' ');
}
