import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ROOT } from './bins.ts';
import { eventually } from './eventually.ts';

const TSX = pathToFileURL(`${ROOT}node_modules/tsx/dist/loader.mjs`).href;

/**
 * Why the tmux tests cannot run here, or undefined when they can. Outside CI a missing tmux skips
 * them, saying so; in CI (CI=true) they run anyway and fail, so a broken image is not a green run.
 */
export const tmuxSkipReason: string | undefined =
  spawnSync('tmux', ['-V']).status === 0 || process.env.CI === 'true'
    ? undefined
    : 'tmux is not installed (apt-get install tmux)';
if (tmuxSkipReason !== undefined) console.warn(`fernet-chat: tmux screen tests skipped: ${tmuxSkipReason}`);

let sessions = 0;

/** A shell-quoted word. */
export function quote(word: string): string {
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/** The command line that runs a bin from source, as startBin does, for a shell inside tmux. */
export function binCommand(name: string, args: readonly string[]): string {
  return [process.execPath, '--import', TSX, `${ROOT}src/bin/${name}.ts`, ...args].map(quote).join(' ');
}

/**
 * A real terminal emulator for one command: a tmux server of its own (its own socket, no user
 * configuration, UTF-8 whatever the locale) with one window of a fixed size. What the terminal shows, scrollback included,
 * is read back with capture-pane, so a line that was erased on screen is really gone.
 */
export class TmuxScreen {
  private readonly socket = `fernet-chat-test-${process.pid}-${++sessions}`;

  /** Runs `command` (a shell command line) in a window `columns` wide and `rows` high. */
  constructor(command: string, columns: number, rows = 20, env: Readonly<Record<string, string>> = {}) {
    const environment = Object.entries(env).flatMap(([key, value]) => ['-e', `${key}=${value}`]);
    // After the command the pane stays, so what it left on screen can still be read.
    const shell = `${command}; echo "[exit $?]"; exec sleep 3600`;
    this.tmux([
      'new-session',
      '-d',
      '-s',
      'main',
      '-x',
      String(columns),
      '-y',
      String(rows),
      '-c',
      ROOT,
      ...environment,
      shell,
    ]);
  }

  /** Types text as it is (no key names). */
  type(text: string): void {
    this.tmux(['send-keys', '-t', 'main', '-l', text]);
  }

  /** Presses keys by tmux name: Enter, C-c, C-d. */
  press(...keys: string[]): void {
    this.tmux(['send-keys', '-t', 'main', ...keys]);
  }

  resize(columns: number, rows = 20): void {
    this.tmux(['resize-window', '-t', 'main', '-x', String(columns), '-y', String(rows)]);
  }

  /** Every line of the pane and its scrollback, wrapped lines joined, trailing blanks dropped. */
  lines(): string[] {
    const text = this.tmux(['capture-pane', '-p', '-J', '-S', '-', '-t', 'main']);
    return text.split('\n').map((line) => line.trimEnd());
  }

  /** The raw pane, escapes included (-e), for checking colours. */
  raw(): string {
    return this.tmux(['capture-pane', '-p', '-e', '-J', '-S', '-', '-t', 'main']);
  }

  /** Waits until `check` holds for the captured lines; fails showing the screen. */
  async waitFor(check: (lines: string[]) => boolean, what: string, timeoutMs = 10_000): Promise<string[]> {
    return eventually(
      () => {
        const lines = this.lines();
        return check(lines) ? lines : undefined;
      },
      () => `${what}; the screen:\n${this.lines().join('\n')}`,
      timeoutMs,
    );
  }

  /** Waits until some line equals (string) or matches (RegExp) `line`. */
  async waitForLine(line: string | RegExp, timeoutMs = 10_000): Promise<string[]> {
    const test = (seen: string) => (typeof line === 'string' ? seen === line : line.test(seen));
    return this.waitFor((lines) => lines.some(test), `the line ${String(line)}`, timeoutMs);
  }

  close(): void {
    spawnSync('tmux', ['-u', '-L', this.socket, 'kill-server']);
    // A killed server leaves its socket file behind (in TMUX_TMPDIR or /tmp, as tmux puts it).
    const dir = join(process.env.TMUX_TMPDIR ?? '/tmp', `tmux-${process.getuid?.() ?? 0}`);
    rmSync(join(dir, this.socket), { force: true });
  }

  private tmux(args: readonly string[]): string {
    const result = spawnSync('tmux', ['-u', '-L', this.socket, '-f', '/dev/null', ...args], {
      encoding: 'utf8',
    });
    if (result.status !== 0)
      throw new Error(`tmux ${args[0]} failed: ${result.stderr || result.error?.message}`);
    return result.stdout;
  }
}
