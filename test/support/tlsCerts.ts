import { makeTestCerts, type TestCerts } from '../../src/bench/testCerts.ts';

export type { TestCerts };

/**
 * The certificates, or undefined with the reason printed: outside CI a machine without openssl
 * skips the TLS tests; in CI (where .ci/run installs it) its absence is a failure.
 */
export function testCertsOrSkip(dir: string): TestCerts | undefined {
  const check = makeTestCerts(dir);
  if (check.ok) return check.certs;
  if (process.env.CI) throw new Error(`TLS tests cannot run: ${check.reason}`);
  console.warn(`skipping the TLS tests: ${check.reason}`);
  return undefined;
}
