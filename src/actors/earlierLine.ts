import type { Envelope } from '../protocol/envelope.ts';
import { displayText } from '../text/displayText.ts';
import type { Sender } from '../text/lineStyle.ts';

/**
 * An envelope from a history answer as a line, or undefined for one not worth showing. Nothing
 * in it is about who is online now: its hub id may be another connection's by now, or of a hub
 * that has restarted, so the roster is neither asked nor changed, and a join gets no answer.
 * A `here` (someone answering a join, back then) says nothing about now: not shown.
 */
export function earlierLine(envelope: Envelope): { line: string; sender: Sender } | undefined {
  const who = displayText(envelope.from);
  const about = (line: string, name = who) => ({
    line,
    sender: { name, start: line.startsWith(`${name}: `) ? 0 : 2, at: envelope.at },
  });
  switch (envelope.kind) {
    case 'join':
      if (envelope.here === true) return undefined;
      if (envelope.was !== undefined) {
        const was = displayText(envelope.was);
        return about(`* ${was} is now ${who}`, was);
      }
      return about(`* ${who} joined`);
    case 'leave':
      return about(`* ${who} left`);
    case 'message': {
      const text = displayText(envelope.text);
      return about(envelope.action === true ? `* ${who} ${text}` : `${who}: ${text}`);
    }
  }
}
