/** Who said a shown line and when, so a terminal can add the time and colour the name. */
export interface Sender {
  /** The name as the line shows it (escaped by displayText). */
  readonly name: string;
  /** Where the name starts in the line: 0 in `bob: hi`, 2 in `* bob joined`. */
  readonly start: number;
  /** The envelope's `at`, an ISO 8601 date-time. */
  readonly at: string;
}

/**
 * Readable foregrounds on dark and light backgrounds alike: red, green, yellow, blue, magenta,
 * cyan and their bright forms would include bright yellow and cyan, unreadable on white, and
 * black and white, invisible on one of them.
 */
const PALETTE = [31, 32, 33, 34, 35, 36, 91, 92, 94, 95] as const;

/**
 * A name's colour, the same in every client and every run: FNV-1a of its UTF-8 bytes into the
 * palette. As an SGR code: `\x1b[${code}m`.
 */
export function nameColour(name: string): number {
  let hash = 0x811c9dc5;
  for (const byte of Buffer.from(name, 'utf8')) hash = Math.imul(hash ^ byte, 0x01000193) >>> 0;
  return PALETTE[hash % PALETTE.length]!;
}

/**
 * HH:MM of an ISO date-time in the local time zone (TZ), or in UTC when `utc`; undefined when it
 * is not a date.
 */
export function localTime(at: string, utc = false): string | undefined {
  const date = new Date(at);
  if (Number.isNaN(date.getTime())) return undefined;
  const two = (n: number) => String(n).padStart(2, '0');
  return utc
    ? `${two(date.getUTCHours())}:${two(date.getUTCMinutes())}`
    : `${two(date.getHours())}:${two(date.getMinutes())}`;
}

export interface LineStyle {
  /** Put the sender's local time before the line. */
  readonly times: boolean;
  /** Colour the sender's name. */
  readonly colours: boolean;
  /**
   * Times in UTC rather than the local zone: a replay's transcript, and the fixtures that hold
   * one, must read the same on every machine.
   */
  readonly utc?: boolean;
}

/**
 * A shown line as a terminal shows it: `10:42 bob: hi`, the name in its colour. The line was
 * escaped already (displayText), so the only escape codes in the result are the colour's own.
 * A line without a sender (bare text from the seed's clients) is left as it is.
 *
 * An earlier line (from history, said at `earlier`) always carries its time, in brackets and
 * also when piped, `[09:12] bob: hi`, and is dim where there are colours: read among live lines
 * it must not pass for one of them, with colours or without (NO_COLOR).
 */
export function styleLine(
  line: string,
  sender: Sender | undefined,
  style: LineStyle,
  earlier?: string,
): string {
  if (earlier !== undefined) {
    const marked = `[${localTime(earlier, style.utc) ?? '--:--'}] ${colourName(line, sender, style)}`;
    return style.colours ? `${DIM}${marked}${NORMAL_INTENSITY}` : marked;
  }
  if (sender === undefined) return line;
  const styled = colourName(line, sender, style);
  const time = style.times ? localTime(sender.at, style.utc) : undefined;
  return time === undefined ? styled : `${time} ${styled}`;
}

const DIM = '\x1b[2m';
const NORMAL_INTENSITY = '\x1b[22m';

/** The line with its sender's name in the name's colour, when colours are on. */
function colourName(line: string, sender: Sender | undefined, style: LineStyle): string {
  if (sender === undefined || !style.colours || !line.startsWith(sender.name, sender.start)) return line;
  const end = sender.start + sender.name.length;
  const colour = `\x1b[${nameColour(sender.name)}m`;
  return `${line.slice(0, sender.start)}${colour}${sender.name}\x1b[39m${line.slice(end)}`;
}

/**
 * How this process's chat lines look. Times and colours only on a terminal: piped output keeps
 * the plain `bob: hi` that scripts, the replay transcripts and their fixtures read. Colour also
 * gives way to NO_COLOR (any non-empty value; no-color.org).
 */
export function lineStyleFor(output: { isTTY?: boolean }, env: NodeJS.ProcessEnv): LineStyle {
  const terminal = output.isTTY === true;
  return { times: terminal, colours: terminal && !env.NO_COLOR };
}
