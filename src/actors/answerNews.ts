import type { ClientOutput } from './clientOutput.ts';
import type { AnswerEnd } from './resumeState.ts';

/** Under the earlier lines of a first connection's history, before the live ones. */
export const EARLIER_SEPARATOR = '* ---- earlier messages above ----';

/**
 * What the client says when a history answer is over, in the order of the chat lines (a show,
 * so that piped output keeps it between the earlier lines and the live ones): after a first
 * connection's history a separator, when it showed anything; after a resume how many came while
 * we were away, which also stands between them and the live lines, or that some may be missing.
 * `why` says why the client stopped waiting, when it did.
 */
export function answerNews(end: AnswerEnd, why = ''): ClientOutput[] {
  const show = (line: string): ClientOutput => ({ type: 'show', line });
  const { shown } = end;
  if (end.asked === 'history') {
    const lines = shown > 0 ? [show(EARLIER_SEPARATOR)] : [];
    if (end.outcome === 'unanswered')
      lines.push({ type: 'status', kind: 'history', line: `* earlier messages are not available: ${why}` });
    return lines;
  }
  // Messages, not lines: who joined or left meanwhile is shown, but is not what was said.
  const { messages } = end;
  const away = `${messages} ${messages === 1 ? 'message' : 'messages'} while you were away`;
  switch (end.outcome) {
    case 'complete':
      return [show(messages === 0 ? '* no messages while you were away' : `* ${away}`)];
    case 'gap': {
      const cause = end.restarted ? 'the hub has restarted' : 'the hub did not keep them all';
      return [show(`* some messages may have been missed (${cause})${messages > 0 ? `; ${away}` : ''}`)];
    }
    case 'unanswered':
      return [show(`* some messages may have been missed (${why})${messages > 0 ? `; ${away}` : ''}`)];
  }
}
