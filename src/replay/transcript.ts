import { displayText } from '../text/displayText.ts';
import type { HeaderRecord } from '../recording/recordingSchema.ts';
import type { ConnectionReader } from './frameReader.ts';
import type { ConnectionLog, Received } from './virtualReplay.ts';

export interface TranscriptInput {
  readonly header: HeaderRecord;
  readonly connections: readonly ConnectionLog[];
  readonly notes: readonly string[];
}

/** A data frame the client shows nothing for (a reply to a join from someone it knew already). */
export const SHOWS_NOTHING = '(a message that shows nothing)';

/**
 * A run of more `#joined`/`#left` notices in a row than this shows its first and its last, and
 * how many came between. Each of N connections of a room filling up gets up to N of them, and
 * written out they made the transcript of 5,000 joins 362 MB; this way it grows with N.
 */
export const PRESENCE_RUN_SHOWN = 3;

/**
 * What each connection received, as stable, readable text: a line per connection with when it
 * joined and left, then a line per frame, at its time since the recording started. Notices are
 * shown as sent, followed by any lines the reader says they bring (the end of a history answer);
 * data frames as the reader shows them (decrypted, or a fingerprint). A long run of presence
 * notices is cut short, and a line one of them brings ends the run:
 *
 *     == connection 2 (joined at 0.120 s, left at 3.400 s: quit)
 *       +0.120s  #hello fernet-chat/1 2 2
 *       +0.130s  #joined 3 3
 *       +0.140s  … 996 more #joined/#left notices, to +9.950s
 *       +9.960s  #joined 1000 1000
 *       +10.234s  alice: hi
 */
export function renderTranscript(
  input: TranscriptInput,
  readerFor: (peer: number) => ConnectionReader,
): string {
  const start = Date.parse(input.header.startedAt);
  const lines = [
    `# fernet-chat recording started ${input.header.startedAt}: framing ${input.header.hub.framing}, ${count(input.connections.length, 'connection')}`,
    ...input.notes.map((note) => `# note: ${note}`),
  ];
  for (const connection of input.connections) {
    const left =
      connection.leftAt === undefined
        ? 'still connected at the end'
        : `left at ${seconds(connection.leftAt)} s: ${connection.reason}`;
    lines.push('', `== connection ${connection.peer} (joined at ${seconds(connection.joinedAt)} s, ${left})`);
    const reader = readerFor(connection.peer);
    const brought = (item: Received) => reader.notice?.(item.text, new Date(start + item.t)) ?? [];
    const presence = new PresenceLines();
    const addPresence = (item: Received) => {
      presence.add(item);
      const shown = brought(item);
      if (shown.length === 0) return;
      lines.push(...presence.flush(), ...shown.map((line) => atTime(item.t) + line));
    };
    for (const item of connection.received) {
      if (item.kind === 'presence') {
        // A reader of notices must see each; one that reads none lets the run stay a range.
        if (reader.notice === undefined) presence.addRange(item.log, item.start, item.end);
        else for (let i = item.start; i < item.end; i++) addPresence(item.log[i]!);
        continue;
      }
      if (isPresence(item)) {
        addPresence(item);
        continue;
      }
      lines.push(...presence.flush());
      const at = atTime(item.t);
      if (item.kind === 'notice') {
        lines.push(at + displayText(item.text), ...brought(item).map((line) => at + line));
        continue;
      }
      const shown = reader.frame(item.text, new Date(start + item.t));
      if (shown.length === 0) lines.push(at + SHOWS_NOTHING);
      for (const line of shown) lines.push(at + line);
    }
    lines.push(...presence.flush());
  }
  return `${lines.join('\n')}\n`;
}

/** Presence notices as a live replay lists them: one by one. */
function isPresence(item: Received): boolean {
  return item.kind === 'notice' && (item.text.startsWith('#joined ') || item.text.startsWith('#left '));
}

/**
 * The lines of one run of presence notices. It keeps only those it may show, the first few and
 * the last two, so a run costs the same however long it is.
 */
class PresenceLines {
  private head: Received[] = [];
  private tail: Received[] = [];
  private count = 0;

  add(item: Received): void {
    this.count++;
    if (this.head.length < PRESENCE_RUN_SHOWN) this.head.push(item);
    else this.tail = [...this.tail.slice(-1), item];
  }

  addRange(log: readonly Received[], start: number, end: number): void {
    let next = start;
    while (next < end && this.head.length < PRESENCE_RUN_SHOWN) this.add(log[next++]!);
    if (next === end) return;
    this.count += end - next;
    this.tail = [...this.tail, ...log.slice(Math.max(next, end - 2), end)].slice(-2);
  }

  flush(): string[] {
    const { head, tail, count } = this;
    this.head = [];
    this.tail = [];
    this.count = 0;
    const show = (item: Received) => atTime(item.t) + displayText(item.text);
    if (count <= PRESENCE_RUN_SHOWN) return head.map(show);
    const last = tail.at(-1)!;
    const beforeLast = tail.length === 2 ? tail[0]! : head.at(-1)!;
    return [
      show(head[0]!),
      `${atTime(head[1]!.t)}… ${count - 2} more #joined/#left notices, to +${seconds(beforeLast.t)}s`,
      show(last),
    ];
  }
}

function atTime(ms: number): string {
  return `  +${seconds(ms)}s  `;
}

function seconds(ms: number): string {
  return (ms / 1000).toFixed(3);
}

function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}
