import { clearScreenDown, createInterface, type Interface, moveCursor } from 'node:readline';
import { Observable, share } from 'rxjs';
import { type LineStyle, lineStyleFor, type Sender, styleLine } from '../text/lineStyle.ts';

export interface Terminal {
  /** Lines the user enters; completes at end of input (Ctrl-D, Ctrl-C, or the end of a pipe). */
  readonly lines: Observable<string>;
  /**
   * Shows a line above what the user is typing, without clobbering it; with its sender, on a
   * terminal, after the sender's local time and with the name in its colour. `earlier`: a line
   * from history, said then, marked as such (styleLine).
   */
  print(line: string, sender?: Sender, earlier?: string): void;
  /** Shows a line that is news or a warning: on a terminal like print, when piped on stderr. */
  notify(line: string): void;
  /** Puts text back into the input line, after what is there (a line that could not be sent). */
  restore(text: string): void;
  /** Changes the prompt (after `/nick`), redrawing it with the draft. */
  setPrompt(prompt: string): void;
  close(): void;
}

/**
 * stdin and stdout as a terminal. With a TTY: a readline prompt, and incoming lines are written
 * above the line being edited, which is then redrawn. Piped: no prompt, plain lines.
 */
export function openTerminal(
  input: NodeJS.ReadableStream & { isTTY?: boolean },
  output: NodeJS.WritableStream & { isTTY?: boolean },
  errors: NodeJS.WritableStream,
  prompt: string,
  style: LineStyle = lineStyleFor(output, process.env),
): Terminal {
  const interactive = input.isTTY === true && output.isTTY === true;
  const rl: Interface = createInterface({
    input,
    output: interactive ? output : undefined,
    terminal: interactive,
  });
  let closed = false;
  if (interactive) {
    rl.setPrompt(prompt);
    rl.prompt();
  }
  const lines = new Observable<string>((subscriber) => {
    const onLine = (line: string) => {
      subscriber.next(line);
      if (interactive && !closed) rl.prompt();
    };
    const onClose = () => subscriber.complete();
    rl.on('line', onLine);
    rl.on('close', onClose);
    return () => {
      rl.off('line', onLine);
      rl.off('close', onClose);
    };
  }).pipe(share());

  if (interactive) keepPromptRows(rl, input, output);
  const above = (line: string) => {
    if (closed) {
      output.write(`${line}\n`);
      return;
    }
    // The prompt and a draft longer than the terminal is wide fill several rows, and the cursor
    // can be on any of them: go to the first and clear from there down, or the rows above the
    // cursor stay behind as a stale copy of the draft.
    const rows = rl.getCursorPos().rows;
    syncPrevRows(rl, rows);
    moveCursor(output, 0, -rows);
    output.write('\r');
    clearScreenDown(output);
    output.write(`${line}\n`);
    // prompt(true) first moves up as many rows as the cursor was below the prompt's first row
    // (readline's own record of them), which would now erase the line just written: give it
    // those rows to climb, so it redraws the prompt and draft on the fresh row below the line.
    output.write('\n'.repeat(rows));
    rl.prompt(true);
  };
  const close = () => {
    if (closed) return;
    // To the end of the draft first, so that the newline written on close leaves it whole.
    if (interactive) rl.write(null, { ctrl: true, name: 'e' });
    rl.close();
  };
  rl.on('close', () => {
    closed = true;
    if (!interactive) return;
    if (rl.line === '') {
      // Nothing typed: take our prompt away, so that a last line (a goodbye, why the hub is gone)
      // is not followed by a prompt that no longer takes anything.
      moveCursor(output, 0, -rl.getCursorPos().rows);
      output.write('\r');
      clearScreenDown(output);
    } else {
      // Leave the draft whole, on its own row: the shell's prompt would follow it on the same row.
      output.write('\n');
    }
  });
  // Ctrl-C closes as Ctrl-D does, through close() so the draft is left whole.
  if (interactive) rl.on('SIGINT', close);
  return {
    lines,
    print: (line, sender, earlier) => {
      const shown = styleLine(line, sender, style, earlier);
      if (interactive) above(shown);
      else output.write(`${shown}\n`);
    },
    notify: (line) => (interactive ? above(line) : errors.write(`${line}\n`)),
    restore: (text) => {
      if (interactive && !closed) rl.write(text);
    },
    setPrompt: (prompt) => {
      if (!interactive || closed) return;
      rl.setPrompt(prompt);
      rl.prompt(true);
    },
    close,
  };
}

/**
 * Sets readline's own record of the cursor's row below the prompt's first row, which its redraw
 * climbs before clearing. Node 20 echoes a paste (several keys in one read) without updating it,
 * so after pasting a draft that wraps it is too low, and the redraw leaves a stale copy of the
 * draft above and a blank row below. It is no documented property: when it is missing (another
 * Node) nothing is set, and the climb is readline's own.
 */
function syncPrevRows(rl: Interface, rows: number): void {
  const state = rl as unknown as { prevRows?: unknown };
  if (typeof state.prevRows === 'number') state.prevRows = rows;
}

/**
 * On a resize readline redraws its prompt, first climbing as many rows as the cursor was below
 * the prompt's first row at the old width. A terminal that reflows (tmux, VTE, iTerm2) may have
 * joined those rows when it grew wider: the climb would then go past the prompt and erase the
 * line above. Before readline's redraw, step down as many rows as the prompt lost, so the climb
 * never goes higher than the prompt's first row under either layout; a terminal that does not
 * reflow keeps at worst a stale copy of the draft's first row, never loses a line.
 */
function keepPromptRows(rl: Interface, input: NodeJS.ReadableStream, output: NodeJS.WritableStream): void {
  let rows = 0; // the cursor's row below the prompt's first row, as readline last drew it
  const record = () => {
    rows = rl.getCursorPos().rows;
  };
  // Runs after readline's own keypress handling (registered first), so it sees the new draft.
  input.on('keypress', record);
  const stepDown = () => {
    syncPrevRows(rl, rows);
    const lost = rows - Math.min(rows, rl.getCursorPos().rows);
    if (lost > 0) output.write('\n'.repeat(lost));
  };
  output.prependListener('resize', stepDown);
  output.on('resize', record);
  rl.on('close', () => {
    input.off('keypress', record);
    output.off('resize', stepDown);
    output.off('resize', record);
  });
}

/** Asks one question on the terminal (the seed asked for the user's name this way). */
export function ask(
  input: NodeJS.ReadableStream,
  output: NodeJS.WritableStream,
  question: string,
): Promise<string | undefined> {
  return new Promise((resolve) => {
    const rl = createInterface({ input, output, terminal: true });
    let answered = false;
    rl.question(question, (answer) => {
      answered = true;
      rl.close();
      resolve(answer);
    });
    rl.on('close', () => {
      if (answered) return;
      // Ctrl-C or Ctrl-D: leave the terminal on a fresh line, not after the question.
      output.write('\n');
      resolve(undefined);
    });
  });
}
