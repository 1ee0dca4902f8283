import type { MonoTypeOperatorFunction, SchedulerLike } from 'rxjs';
import { summariseRepeats } from '../streams/summariseRepeats.ts';
import type { FernetErrorCode } from '../crypto/fernetError.ts';
import type { ClientOutput, LineKind } from './clientOutput.ts';

/**
 * After a warning is shown, more of its kind are only counted for this long. A person reads a
 * line or two a second: this bounds a flood to the first warning and one count a second per kind,
 * while a warning that comes alone is still shown the moment it happens.
 */
export const WARNING_WINDOW_MS = 1_000;

/** After `! <count> more`: what was held back, singular and plural. */
const COUNTED = {
  replay: ['repeated message dropped (replay)', 'repeated messages dropped (replays)'],
  oversize: ['message skipped as too large to hold', 'messages skipped as too large to hold'],
  'hub-error': ['error from the hub', 'errors from the hub'],
  'hub-hello': ['#hello from the hub', '#hello notices from the hub'],
  'hub-bye': ['#bye from the hub', '#bye notices from the hub'],
  'too-long': ['line not sent as too long', 'lines not sent as too long'],
  'queue-full': ['line dropped while not connected', 'lines dropped while not connected'],
  queued: ['line queued while not connected', 'lines queued while not connected'],
  'queue-sent': ['batch of queued lines sent', 'batches of queued lines sent'],
  waiting: ['wait for the hub', 'waits for the hub'],
  command: ['command refused', 'commands refused'],
  'key-hint': ['hint about keys', 'hints about keys'],
  history: ['note about earlier messages', 'notes about earlier messages'],
  'signature:bad-signature': ['message with a bad signature', 'messages with a bad signature'],
  'signature:lifted': ['signed message sent again later', 'signed messages sent again later'],
  identity: ['note about names and keys', 'notes about names and keys'],
} as const;

/** Why a token could not be opened, in the words of the first warning, shortened. */
const UNREADABLE: Readonly<Record<FernetErrorCode, string>> = {
  'bad-signature': 'not encrypted with any of our keys, or tampered with',
  expired: 'too old',
  future: 'dated in the future',
  'bad-token': 'not a valid token',
  'bad-key': 'not a valid token',
};

/** The line that stands for `count` warnings of `kind` held back. */
export function countedLine(kind: LineKind, count: number, windowMs = WARNING_WINDOW_MS): string {
  const window = windowMs === 1_000 ? 'the last second' : `the last ${windowMs / 1000} s`;
  const [what, detail] = kind.split(':') as [string, string | undefined];
  if (what === 'unreadable' || what === 'malformed') {
    const messages = count === 1 ? `${what} message` : `${what} messages`;
    const why = what === 'unreadable' ? UNREADABLE[detail as FernetErrorCode] : detail;
    return `! ${count} more ${messages} (${why}) in ${window}`;
  }
  const [one, many] = COUNTED[kind as keyof typeof COUNTED];
  // Queued lines are news, not a problem: counted as such.
  const mark = kind === 'queued' ? '*' : '!';
  return `${mark} ${count} more ${count === 1 ? one : many} in ${window}`;
}

/**
 * The client's outputs with floods of warnings and hub notices summarised (see
 * summariseRepeats): a hostile hub or member can send tens of thousands of bad frames a second,
 * each of which would otherwise print a line. Messages pass at once and in order; before each,
 * what was counted so far is summarised, so that the count stays above the message that
 * followed it. Frames to send pass untouched and do not summarise, or a hub that mixes pings into
 * its flood would get a count line per ping.
 */
export function quietWarnings(
  scheduler?: SchedulerLike,
  windowMs = WARNING_WINDOW_MS,
): MonoTypeOperatorFunction<ClientOutput> {
  return summariseRepeats<ClientOutput, LineKind>({
    windowMs,
    // Warnings about names and keys are each once per name and key, and the second impostor's
    // must not hide in a count behind the first's.
    kindOf: (output) =>
      (output.type === 'warn' || output.type === 'status') && output.kind !== 'identity'
        ? output.kind
        : undefined,
    summary: (kind, count) => ({
      type: 'warn',
      kind,
      line: countedLine(kind, count, windowMs),
    }),
    keepsOrder: (output) => output.type !== 'send',
    scheduler,
  });
}
