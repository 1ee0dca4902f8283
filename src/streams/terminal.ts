import { createInterface, type Interface } from 'node:readline';
import { Observable, share } from 'rxjs';

export interface Terminal {
  /** Lines the user enters; completes at end of input (Ctrl-D, Ctrl-C, or the end of a pipe). */
  readonly lines: Observable<string>;
  /** Shows a line above what the user is typing, without clobbering it. */
  print(line: string): void;
  /** Shows a line that is news or a warning: on a terminal like print, when piped on stderr. */
  notify(line: string): void;
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
): Terminal {
  const interactive = input.isTTY === true && output.isTTY === true;
  const rl: Interface = createInterface({
    input,
    output: interactive ? output : undefined,
    terminal: interactive,
  });
  if (interactive) {
    rl.setPrompt(prompt);
    rl.prompt();
  }
  const lines = new Observable<string>((subscriber) => {
    const onLine = (line: string) => {
      subscriber.next(line);
      if (interactive) rl.prompt();
    };
    const onClose = () => subscriber.complete();
    rl.on('line', onLine);
    rl.on('close', onClose);
    return () => {
      rl.off('line', onLine);
      rl.off('close', onClose);
    };
  }).pipe(share());

  const above = (line: string) => {
    // \r and "erase line" remove the prompt and partial input; prompt(true) redraws them after.
    output.write(`\r\x1b[K${line}\n`);
    rl.prompt(true);
  };
  return {
    lines,
    print: (line) => (interactive ? above(line) : output.write(`${line}\n`)),
    notify: (line) => (interactive ? above(line) : errors.write(`${line}\n`)),
    close: () => rl.close(),
  };
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
      if (!answered) resolve(undefined);
    });
  });
}
