import { type ChildProcessWithoutNullStreams, spawn, spawnSync } from 'node:child_process';
import { ROOT } from './bins.ts';
import { eventually } from './eventually.ts';

/** Whether util-linux `script` is here to give a command a pseudo-terminal. */
export const haveScript = spawnSync('script', ['--version']).status === 0;

/**
 * A command on a real pseudo-terminal (util-linux `script` gives it one), so readline runs in
 * terminal mode: a prompt, lines written above what is typed, and Ctrl-D a key, not a pipe's end.
 */
export class ScriptTty {
  screen = '';
  exit: number | null | undefined;
  private readonly child: ChildProcessWithoutNullStreams;

  constructor(command: string) {
    this.child = spawn('script', ['--quiet', '--return', '--command', command, '/dev/null'], {
      cwd: ROOT,
      env: { ...process.env, TERM: 'xterm' },
    });
    this.child.stdout.setEncoding('utf8').on('data', (text: string) => {
      this.screen += text;
    });
    this.child.on('close', (code) => {
      this.exit = code;
    });
  }

  type(keys: string): void {
    this.child.stdin.write(keys);
  }

  /** The screen as plain text: escape sequences removed, carriage returns as line breaks. */
  get text(): string {
    // eslint-disable-next-line no-control-regex -- stripping terminal escapes is the point
    return this.screen.replace(/\x1b\[[0-9;]*[A-Za-z]/g, '').replace(/\r/g, '\n');
  }

  /** Waits until `what` has been written to the screen. */
  async shows(what: string, timeoutMs = 5_000): Promise<void> {
    await eventually(
      () => this.screen.includes(what) || undefined,
      () => `${JSON.stringify(what)} on the screen; it shows ${JSON.stringify(this.screen)}`,
      timeoutMs,
    );
  }

  kill(): void {
    if (this.exit === undefined) this.child.kill('SIGKILL');
  }
}
