import { existsSync } from 'node:fs';
import type { Browser, LaunchOptions } from 'playwright-core';

/** Debian's Chromium (`apt-get install chromium`; .ci/run installs it), or the one named here. */
export const CHROMIUM = process.env.FERNET_CHAT_TEST_CHROMIUM || '/usr/bin/chromium';

/**
 * Why the browser tests cannot run here, or undefined when they can. In CI a missing browser is
 * a failure, not a skip: the tests then throw this reason instead.
 */
export const chromiumMissing: string | undefined = existsSync(CHROMIUM)
  ? undefined
  : `no Chromium at ${CHROMIUM} (apt-get install chromium, or set FERNET_CHAT_TEST_CHROMIUM)`;

export const skipBrowser = chromiumMissing !== undefined && process.env.CI !== 'true';
if (skipBrowser) console.warn(`skipping the browser tests: ${chromiumMissing}`);

/** The network is closed to the tests: nothing in the background may try to reach it. */
const QUIET_ARGS = [
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-default-apps',
  '--disable-domain-reliability',
  '--disable-extensions',
  '--disable-sync',
  '--metrics-recording-only',
  '--no-first-run',
  '--no-default-browser-check',
];

/**
 * `trustedKeys`: the SPKI SHA-256 (base64) of test certificates Chromium is to accept although no
 * CA it knows signed them (--ignore-certificate-errors-spki-list: only those keys, not any).
 */
export async function launchChromium(trustedKeys: readonly string[] = []): Promise<Browser> {
  if (chromiumMissing !== undefined) throw new Error(chromiumMissing);
  const { chromium } = await import('playwright-core');
  const trust =
    trustedKeys.length === 0 ? [] : [`--ignore-certificate-errors-spki-list=${trustedKeys.join(',')}`];
  const options: LaunchOptions = {
    executablePath: CHROMIUM,
    headless: true,
    args: [...QUIET_ARGS, ...trust],
  };
  return chromium.launch(options);
}
