import { type ChildProcessWithoutNullStreams, spawn, spawnSync } from 'node:child_process';
import { expect, it } from 'vitest';
import { ROOT } from '../support/bins.ts';
import { eventually } from '../support/eventually.ts';

/**
 * The Python that the interop tests run against: Debian's /usr/bin/python3 with its
 * python3-cryptography (`.ci/run` installs them when missing). FERNET_CHAT_TEST_PYTHON may name
 * another interpreter, to try other versions by hand.
 */
export const PYTHON = process.env.FERNET_CHAT_TEST_PYTHON || '/usr/bin/python3';
export const PYTHON_SCRIPTS = `${ROOT}test/interop/python/`;

export type PythonCheck =
  | { readonly ok: true; readonly python: string; readonly cryptography: string }
  | { readonly ok: false; readonly reason: string };

function checkPython(): PythonCheck {
  const probe = spawnSync(
    PYTHON,
    ['-c', 'import sys, cryptography; print("%d.%d.%d" % sys.version_info[:3], cryptography.__version__)'],
    { encoding: 'utf8', timeout: 15_000 },
  );
  if (probe.error) {
    const code = (probe.error as NodeJS.ErrnoException).code;
    return { ok: false, reason: `${PYTHON} cannot be run (${code ?? probe.error.message})` };
  }
  if (probe.status !== 0) {
    const why = probe.stderr.trim().split('\n').pop() ?? `exit ${probe.status}`;
    return {
      ok: false,
      reason: `${PYTHON} has no cryptography package (${why}); install python3-cryptography`,
    };
  }
  const [python = '?', cryptography = '?'] = probe.stdout.trim().split(' ');
  return { ok: true, python, cryptography };
}

export const pythonCheck = checkPython();

/**
 * Why the interop tests are skipped, or undefined when they run. Outside CI a missing Python or
 * cryptography skips them, saying so; inside CI (CI=true) they run anyway and fail.
 */
export const skipReason: string | undefined =
  !pythonCheck.ok && process.env.CI !== 'true' ? pythonCheck.reason : undefined;

if (skipReason !== undefined) {
  console.warn(`fernet-chat: Python interop tests skipped: ${skipReason} (in CI they would fail)`);
}

/** `it`, skipped with the reason in its title when Python or cryptography is missing outside CI. */
export function itWithPython(title: string, test: () => Promise<void> | void, timeoutMs?: number): void {
  const shown = skipReason === undefined ? title : `${title} [skipped: ${skipReason}]`;
  it.skipIf(skipReason !== undefined)(shown, test, timeoutMs);
}

/** Throws with the reason when Python is not usable (so that in CI the tests fail, and say why). */
export function requirePython(): { python: string; cryptography: string } {
  if (!pythonCheck.ok)
    throw new Error(`Python interop needs ${PYTHON} with cryptography: ${pythonCheck.reason}`);
  return pythonCheck;
}

/** Runs a script of test/interop/python/ with `input` on stdin; resolves with its stdout. */
export function runPythonScript(script: string, input: string, timeoutMs = 30_000): Promise<string> {
  requirePython();
  return new Promise((resolve, reject) => {
    const child = spawn(PYTHON, [`${PYTHON_SCRIPTS}${script}`], { stdio: 'pipe' });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.stdout.setEncoding('utf8').on('data', (text: string) => {
      stdout += text;
    });
    child.stderr.setEncoding('utf8').on('data', (text: string) => {
      stderr += text;
    });
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve(stdout);
      else reject(new Error(`${script} failed (exit ${code ?? signal}):\n${stderr}`));
    });
    child.stdin.end(input);
  });
}

/** A long-running Python helper (seed_peer.py, seed_relay.py) that reports JSON lines on stdout. */
export class PythonProcess {
  stdout = '';
  stderr = '';
  exited = false;
  readonly done: Promise<void>;
  private readonly child: ChildProcessWithoutNullStreams;

  constructor(
    readonly label: string,
    script: string,
    args: readonly string[],
  ) {
    requirePython();
    this.child = spawn(PYTHON, ['-u', `${PYTHON_SCRIPTS}${script}`, ...args], { stdio: 'pipe' });
    this.child.stdout.setEncoding('utf8').on('data', (text: string) => {
      this.stdout += text;
    });
    this.child.stderr.setEncoding('utf8').on('data', (text: string) => {
      this.stderr += text;
    });
    this.child.stdin.on('error', () => {});
    this.done = new Promise((resolve) => {
      this.child.on('close', () => {
        this.exited = true;
        resolve();
      });
    });
    running.add(this);
    void this.done.then(() => running.delete(this));
  }

  /** Every JSON line reported so far. */
  events(): Record<string, unknown>[] {
    return this.stdout
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  }

  /** Waits until `count` reported events match; returns them. */
  async waitForEvents(
    count: number,
    match: (event: Record<string, unknown>) => boolean,
    timeoutMs = 10_000,
  ): Promise<Record<string, unknown>[]> {
    return eventually(
      () => {
        const found = this.events().filter(match);
        return found.length >= count ? found : undefined;
      },
      () => `${count} matching event(s) from ${this.label}\n${this.describe()}`,
      timeoutMs,
    );
  }

  waitForEvent(
    match: (event: Record<string, unknown>) => boolean,
    timeoutMs?: number,
  ): Promise<Record<string, unknown>> {
    return this.waitForEvents(1, match, timeoutMs).then((found) => found[0]!);
  }

  write(text: string): void {
    this.child.stdin.write(text);
  }

  endInput(): void {
    this.child.stdin.end();
  }

  kill(): void {
    if (!this.exited) this.child.kill('SIGKILL');
  }

  describe(): string {
    return `--- ${this.label} (exited: ${this.exited}) stdout:\n${this.stdout}--- stderr:\n${this.stderr}`;
  }
}

const running = new Set<PythonProcess>();

/** Kills every Python helper still running, and waits until they are gone. */
export async function stopPythons(): Promise<void> {
  const left = [...running];
  for (const process of left) process.kill();
  await Promise.all(left.map((process) => process.done));
}

/** A test that fails, naming what is missing, when Python is not usable in CI (skipped elsewhere). */
export function itHasPython(): void {
  itWithPython(`${PYTHON} runs and imports cryptography (required when CI=true)`, () => {
    expect(pythonCheck.ok ? 'ok' : pythonCheck.reason).toBe('ok');
  });
}

/** What a seed peer decrypted, as our envelope when it is one (the Python peers send bare text). */
export function envelopeIn(event: Record<string, unknown>): { kind?: string; from?: string; text?: string } {
  if (event.event !== 'received' || typeof event.text !== 'string') return {};
  try {
    const value: unknown = JSON.parse(event.text);
    return value !== null && typeof value === 'object' ? (value as Record<string, string>) : {};
  } catch {
    return {};
  }
}
