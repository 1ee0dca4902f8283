import { type BinOptions, type BinProcess, startBin } from './bins.ts';

export interface HubUnderTest {
  readonly bin: BinProcess;
  readonly port: number;
}

/** Starts the real hub bin on 127.0.0.1 with a port the OS picks, and waits until it listens. */
export async function startTestHub(
  args: readonly string[] = [],
  options: BinOptions = {},
): Promise<HubUnderTest> {
  const bin = startBin('hub', ['--host', '127.0.0.1', '--port', '0', ...args], options);
  const line = await bin.waitForLine('stderr', /event=listening .*port=\d+/, 10_000);
  const port = Number(/port=(\d+)/.exec(line)![1]);
  return { bin, port };
}
