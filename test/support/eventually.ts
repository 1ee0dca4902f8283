/**
 * Waits for a condition that some I/O will make true, polling it, instead of sleeping for a
 * guessed time. Fails with `describe()` (what was seen so far) when the time is up.
 */
export async function eventually<T>(
  check: () => T | undefined | false,
  describe: string | (() => string),
  timeoutMs = 5_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) {
      const what = typeof describe === 'string' ? describe : describe();
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
