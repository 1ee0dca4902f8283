/**
 * The README's picture of the web client: a hub, a terminal client and the page in Debian's
 * Chromium (playwright-core, as the browser tests), mid-conversation, saved to
 * docs/web-client.png. Run after `npm run build`: `npx tsx scripts/screenshot.ts`.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { FernetKey } from '../src/crypto/fernetKey.ts';
import { writeKeyFile } from '../src/crypto/keyFile.ts';
import { hubConfigSchema } from '../src/config/hubConfig.ts';
import { startHub } from '../src/hub/startHub.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CHROMIUM = process.env.FERNET_CHAT_TEST_CHROMIUM || '/usr/bin/chromium';
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const dir = mkdtempSync(join(tmpdir(), 'fernet-chat-screenshot-'));
const key = FernetKey.generate();
const keyFile = join(dir, 'chat.key');
writeKeyFile(keyFile, [key]);
const hub = await startHub(hubConfigSchema.parse({ port: 0 }), () => {});
const browser = await chromium.launch({
  executablePath: CHROMIUM,
  headless: true,
  args: ['--disable-background-networking', '--disable-component-update', '--no-first-run'],
});
const terminal = spawn(
  process.execPath,
  [join(ROOT, 'dist/bin/client.js'), '--host', '127.0.0.1', '--port', String(hub.address.port)],
  {
    stdio: ['pipe', 'ignore', 'ignore'],
    env: { ...process.env, FERNET_CHAT_CLIENT_KEY_FILE: keyFile, FERNET_CHAT_CLIENT_NAME: 'tomás' },
  },
);
try {
  const page = await browser.newPage({ viewport: { width: 720, height: 520 }, colorScheme: 'light' });
  await page.goto(`${hub.webUrl}#key=${key.toString()}`);
  await page.fill('#name', 'wendy');
  await page.press('#name', 'Enter');
  await page
    .locator('#messages li', { hasText: /tomás joined|tomás is here/ })
    .first()
    .waitFor({ timeout: 15_000 });
  const lines: [who: 'tom' | 'wendy', text: string][] = [
    ['tom', 'morning! the build is green again'],
    ['wendy', 'great — was it the flaky resume test?'],
    ['tom', 'yes: a digest of an evicted slot. fixed and tested against a model'],
    ['wendy', 'nice. I am on my phone today, this page is all I need'],
    ['tom', '<img src=x onerror=alert(1)> shows as text, by the way'],
  ];
  for (const [who, text] of lines) {
    if (who === 'tom') terminal.stdin.write(`${text}\n`);
    else {
      await page.fill('#say', text);
      await page.press('#say', 'Enter');
    }
    await page.locator('#messages li', { hasText: text }).first().waitFor({ timeout: 15_000 });
  }
  await page.fill('#say', 'see you at 3');
  await pause(200);
  const out = join(ROOT, 'docs', 'web-client.png');
  await page.screenshot({ path: out });
  process.stdout.write(`wrote ${out}\n`);
} finally {
  terminal.stdin.end();
  terminal.kill();
  await browser.close();
  await hub.stop();
  rmSync(dir, { recursive: true, force: true });
}
