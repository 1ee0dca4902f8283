import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { type BinProcess, startTestClient, stopAll } from '../support/bins.ts';
import { startTestHub } from '../support/hub.ts';
import { OTHER_KEY, TEST_KEY, tempDir, writeTestKeyFile } from '../support/testKey.ts';
import { launchChromium, skipBrowser } from './support/chromium.ts';

// The web client in a real browser (Debian's Chromium, driven by playwright-core) and the
// terminal client, through one real hub: both ways, a wrong key, a hub restart, history, and
// hostile text. One browser for the file; a context (a fresh profile) per page.

vi.setConfig({ testTimeout: 60_000 });

let browser: Browser;
let dir: string;
let cleanup: () => void;
let keyFile: string;
const contexts: BrowserContext[] = [];

beforeAll(async () => {
  if (skipBrowser) return;
  ({ dir, cleanup } = tempDir('fernet-chat-web-'));
  keyFile = writeTestKeyFile(dir, 'chat.key');
  browser = await launchChromium();
}, 30_000);
afterEach(async () => {
  for (const context of contexts.splice(0)) await context.close();
  await stopAll();
});
afterAll(async () => {
  await browser?.close();
  cleanup?.();
});

interface Hub {
  readonly bin: BinProcess;
  readonly port: number;
  readonly webUrl: string;
}

async function startHub(args: string[] = []): Promise<Hub> {
  const hub = await startTestHub(args);
  const line = await hub.bin.waitForLine('stderr', /event=web-listening url=/, 10_000);
  return { ...hub, webUrl: /url=(\S+)/.exec(line)![1]! };
}

interface WebUser {
  readonly page: Page;
  /** Everything the page said that a browser reports as a problem: errors, CSP refusals, dialogs. */
  readonly problems: string[];
}

/** Opens the page, joins as `name` with `key` (typed into the form, as a person pastes it). */
async function join(url: string, name: string, key = TEST_KEY): Promise<WebUser> {
  const context = await browser.newContext();
  contexts.push(context);
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`console: ${message.text()}`);
  });
  page.on('pageerror', (error) => problems.push(`pageerror: ${error.message}`));
  page.on('dialog', (dialog) => {
    problems.push(`dialog: ${dialog.message()}`);
    void dialog.dismiss();
  });
  await page.goto(url);
  await page.fill('#name', name);
  await page.fill('#key', key);
  await page.press('#key', 'Enter'); // keyboard only: Enter in the key box joins
  await page.locator('#messages li', { hasText: /connected as #\d+/ }).waitFor({ timeout: 15_000 });
  return { page, problems };
}

/** Types a line and sends it with Enter, as a person does. */
async function say(user: WebUser, text: string): Promise<void> {
  await user.page.fill('#say', text);
  await user.page.press('#say', 'Enter');
}

async function shown(user: WebUser, text: string | RegExp, timeout = 15_000): Promise<void> {
  await user.page.locator('#messages li', { hasText: text }).first().waitFor({ timeout });
}

async function terminal(port: number, name: string): Promise<BinProcess> {
  const client = startTestClient(port, keyFile, name);
  await client.waitForLine('stderr', /^\* connected as #\d+/, 15_000);
  return client;
}

describe.skipIf(skipBrowser)('the web client in Chromium, with the terminal client', () => {
  it('chats both ways, shows earlier messages to a newcomer, and shows a wrong key as warnings, not plaintext', async () => {
    const hub = await startHub();
    const web = await join(hub.webUrl, 'wendy');
    const tom = await terminal(hub.port, 'tom');
    await shown(web, /tom joined/);
    tom.write('hello from the terminal\n');
    await shown(web, 'tom: hello from the terminal');
    await say(web, 'hello from the browser — olá 🎉');
    await tom.waitForLine('stdout', /wendy: hello from the browser — olá 🎉$/, 15_000);
    // The sender's name is an element of its own, in its colour class; the time is shown.
    const name = web.page.locator('#messages li', { hasText: 'tom: hello' }).locator('.name');
    expect(await name.textContent()).toBe('tom');
    expect(await name.getAttribute('class')).toMatch(/^name c\d+$/);
    expect(
      await web.page.locator('#messages li', { hasText: 'tom: hello' }).locator('time').textContent(),
    ).toMatch(/^\d\d:\d\d$/);

    // A newcomer sees what was said before it came, marked as earlier.
    const late = await join(hub.webUrl, 'lena');
    await shown(late, 'tom: hello from the terminal');
    expect(
      await late.page.locator('#messages li.earlier', { hasText: 'tom: hello from the terminal' }).count(),
    ).toBe(1);

    // Someone with another key sees that messages came and could not be read; never their text.
    const stranger = await join(hub.webUrl, 'mallory', OTHER_KEY);
    tom.write('a secret for the group\n');
    await shown(web, 'tom: a secret for the group');
    await shown(stranger, /unreadable message: not encrypted with any of our keys/);
    expect(await stranger.page.locator('#messages').textContent()).not.toContain('a secret for the group');
    expect([...web.problems, ...late.problems, ...stranger.problems]).toEqual([]);
  });

  it('shows hostile text as text: nothing it holds runs, no element is made of it', async () => {
    const hub = await startHub();
    const web = await join(hub.webUrl, 'wendy');
    const tom = await terminal(hub.port, 'tom');
    const hostile = '<img src=x onerror=alert(1)><script>alert(2)</script><b>bold</b>';
    tom.write(`${hostile}\n`);
    await shown(web, `tom: ${hostile}`);
    const list = web.page.locator('#messages');
    expect(await list.locator('img, script, b').count()).toBe(0);
    expect(await list.textContent()).toContain(hostile);
    // No dialog, no error, no CSP refusal (an inline handler would have been one).
    expect(web.problems).toEqual([]);
  });

  it('reconnects after the hub restarts, and the chat goes on both ways', async () => {
    const first = await startHub();
    const webPort = new URL(first.webUrl).port;
    const web = await join(first.webUrl, 'wendy');
    const tom = await terminal(first.port, 'tom');
    await shown(web, /tom joined/);
    first.bin.kill('SIGTERM');
    await first.bin.waitForExit(10_000);
    await shown(web, /lost the connection to the hub/);
    const again = await startHub(['--port', String(first.port), '--web-port', webPort]);
    // Wait for both to be back (the backoff may take a few seconds), then chat.
    await shown(web, /reconnected/, 40_000);
    await tom.waitForLine('stderr', /reconnected/, 40_000);
    await say(web, 'back again');
    await tom.waitForLine('stdout', /wendy: back again$/, 15_000);
    tom.write('welcome back\n');
    await shown(web, 'tom: welcome back');
    expect(again.webUrl).toBe(first.webUrl);
    // While the hub was away the browser said so of each attempt; nothing else went wrong.
    expect(web.problems.filter((p) => !/WebSocket connection to .* failed/.test(p))).toEqual([]);
  });
});
