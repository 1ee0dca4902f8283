import { readdirSync } from 'node:fs';
import { BinProcess, type Exit, ROOT } from '../support/bins.ts';

export const SESSIONS = `${ROOT}fixtures/sessions/`;

/** The session fixtures, by name: fixtures/sessions/NAME.{jsonl,key,transcript}. */
export const FIXTURES = readdirSync(SESSIONS)
  .filter((file) => file.endsWith('.jsonl'))
  .map((file) => file.slice(0, -'.jsonl'.length))
  .sort();

export function fixture(name: string) {
  const base = `${SESSIONS}${name}`;
  return { recording: `${base}.jsonl`, key: `${base}.key`, transcript: `${base}.transcript` };
}

/** Runs the replay bin to its end, as a user would. */
export async function runReplayBin(
  args: readonly string[],
  timeoutMs = 20_000,
): Promise<{ exit: Exit; stdout: string; stderr: string }> {
  const bin = new BinProcess(`replay ${args.join(' ')}`, [`${ROOT}src/bin/replay.ts`, ...args], {});
  bin.endInput();
  const exit = await bin.waitForExit(timeoutMs);
  return { exit, stdout: bin.stdout, stderr: bin.stderr };
}
