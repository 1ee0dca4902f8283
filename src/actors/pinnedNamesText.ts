import type { Pin } from './pinnedNames.ts';
import { nameSchema } from '../protocol/envelope.ts';
import { invisibleIn, nameSkeleton } from '../text/nameLooks.ts';
import { displayText } from '../text/displayText.ts';

/**
 * The pinned-names text: the terminal client's file, and what the web page keeps in IndexedDB,
 * in one format that a person can read and edit.
 */

const HEADER =
  '# fernet-chat pinned names: one line per name, the public key it signs with (43 base64url\n' +
  '# characters), a space, then the name. Delete a line to forget a name, or put another key on\n' +
  '# it to accept that key; a running client takes the change within a second or two.\n';

const KEY = /^[A-Za-z0-9_-]{43}$/;

export interface ParsedPins {
  readonly pins: readonly Pin[];
  /** One line per line left out, saying why (`line 3: …`). */
  readonly problems: readonly string[];
}

/**
 * Reads the text of a pinned-names file. Never throws: a line it cannot use is left out and
 * said why, and the rest is used, as an edit by hand may go wrong in one place.
 */
export function parsePinnedNames(text: string): ParsedPins {
  const pins: Pin[] = [];
  const problems: string[] = [];
  const lineOf = new Map<string, number>();
  for (const [index, raw] of text.split('\n').entries()) {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    const number = index + 1;
    if (line.trim() === '' || line.trimStart().startsWith('#')) continue;
    const space = line.indexOf(' ');
    const key = space < 0 ? line : line.slice(0, space);
    if (!KEY.test(key) || Buffer.from(key, 'base64url').toString('base64url') !== key) {
      problems.push(`line ${number}: does not start with a public key (43 base64url characters)`);
      continue;
    }
    const name = nameSchema.safeParse(space < 0 ? '' : line.slice(space + 1));
    if (!name.success) {
      problems.push(
        `line ${number}: not a name after the key (${name.error.issues[0]?.message ?? 'invalid'})`,
      );
      continue;
    }
    const hidden = invisibleIn(name.data);
    if (hidden !== undefined) {
      problems.push(`line ${number}: the name holds an invisible character (${hidden})`);
      continue;
    }
    const skeleton = nameSkeleton(name.data);
    const first = lineOf.get(skeleton);
    if (first !== undefined) {
      problems.push(
        `line ${number}: "${displayText(name.data)}" is the name on line ${first} (names are compared ignoring case and look-alike letters); line ${first} is kept`,
      );
      continue;
    }
    lineOf.set(skeleton, number);
    pins.push({ name: name.data, key });
  }
  return { pins, problems };
}

/** The line of a pin. */
export function pinLine(pin: Pin): string {
  return `${pin.key} ${pin.name}`;
}

/**
 * The text with `pin` set: the line of its name replaced (the first, as the reader keeps it),
 * or a new line at the end. Every other line, comments and hand edits included, stays as it was.
 */
export function withPin(text: string, pin: Pin): string {
  const skeleton = nameSkeleton(pin.name);
  const lines = text === '' ? HEADER.split('\n').slice(0, -1) : text.replace(/\n$/, '').split('\n');
  const parsedNames = lines.map((line) => {
    const parsed = parsePinnedNames(line).pins[0];
    return parsed === undefined ? undefined : nameSkeleton(parsed.name);
  });
  const at = parsedNames.indexOf(skeleton);
  if (at >= 0) lines[at] = pinLine(pin);
  else lines.push(pinLine(pin));
  return `${lines.join('\n')}\n`;
}
