import { DIGEST_PATTERN } from './frameDigest.ts';
import { EPOCH_PATTERN, NO_DIGEST, request } from './notice.ts';

/** A client's request for history (docs/protocol.md), as the hub understands it. */
export type HistoryRequest =
  | { readonly kind: 'history'; readonly count: number }
  /** `after` undefined: the client saw no frame of `epoch`, so it wants them all. */
  | { readonly kind: 'resume'; readonly epoch: string; readonly after: string | undefined };

export type ParsedRequest = HistoryRequest | { readonly kind: 'bad'; readonly detail: string } | undefined;

/** Counts beyond this are refused as malformed rather than parsed into huge numbers. */
const MAX_COUNT_DIGITS = 9;

/**
 * Parses `#history N` and `#resume EPOCH DIGEST`. Undefined for any other command; `bad`, with
 * what is wrong in our words, for one of these two with the wrong arguments.
 */
export function parseHistoryRequest(line: string): ParsedRequest {
  const [word, ...args] = line.split(' ');
  if (word === '#history') {
    const count = args[0] ?? '';
    if (args.length !== 1 || !/^\d+$/.test(count) || count.length > MAX_COUNT_DIGITS)
      return { kind: 'bad', detail: '#history takes one count of frames, e.g. #history 50' };
    return { kind: 'history', count: Number(count) };
  }
  if (word === '#resume') {
    const [epoch = '', after = ''] = args;
    if (args.length !== 2 || !EPOCH_PATTERN.test(epoch))
      return { kind: 'bad', detail: '#resume takes the epoch from #hello and a frame digest, or -' };
    if (after === NO_DIGEST) return { kind: 'resume', epoch, after: undefined };
    if (!DIGEST_PATTERN.test(after))
      return { kind: 'bad', detail: 'not a frame digest: 16 base64url characters, or -' };
    return { kind: 'resume', epoch, after };
  }
  return undefined;
}

/** The request as a client sends it (without its LF): what parseHistoryRequest reads back. */
export function historyRequestLine(parsed: HistoryRequest): string {
  return parsed.kind === 'history'
    ? request.history(parsed.count)
    : request.resume(parsed.epoch, parsed.after);
}
