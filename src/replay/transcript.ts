import { displayText } from '../actors/displayText.ts';
import type { HeaderRecord } from '../recording/recordingSchema.ts';
import type { FrameReader } from './frameReader.ts';
import type { ConnectionLog } from './virtualReplay.ts';

export interface TranscriptInput {
  readonly header: HeaderRecord;
  readonly connections: readonly ConnectionLog[];
  readonly notes: readonly string[];
}

/**
 * What each connection received, as stable, readable text: a line per connection with when it
 * joined and left, then a line per frame, at its time since the recording started. Notices are
 * shown as sent; data frames as the reader shows them (decrypted, or a fingerprint).
 *
 *     == connection 2 (joined at 0.120 s, left at 3.400 s: quit)
 *       +0.120s  #hello fernet-chat/1 2 2
 *       +1.234s  alice: hi
 */
export function renderTranscript(input: TranscriptInput, readerFor: (peer: number) => FrameReader): string {
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
    const read = readerFor(connection.peer);
    for (const item of connection.received) {
      const at = `  +${seconds(item.t)}s  `;
      if (item.kind === 'notice') {
        lines.push(at + displayText(item.text));
        continue;
      }
      const shown = read(item.text, new Date(start + item.t));
      if (shown.length === 0) lines.push(`${at}(a message that shows nothing)`);
      for (const line of shown) lines.push(at + line);
    }
  }
  return `${lines.join('\n')}\n`;
}

function seconds(ms: number): string {
  return (ms / 1000).toFixed(3);
}

function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}
