import { createHash, X509Certificate } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join as joinPath } from 'node:path';
import { build } from 'esbuild';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { ROOT } from '../support/bins.ts';
import { admissionKeyOf } from '../../src/crypto/admissionKey.ts';
import { FernetKey } from '../../src/crypto/fernetKey.ts';
import { KeyRing } from '../../src/crypto/keyRing.ts';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { type BinProcess, runBin, startTestClient, stopAll } from '../support/bins.ts';
import { runPythonScript, skipReason as pythonMissing } from '../interop/python.ts';
import { startTestHub } from '../support/hub.ts';
import { testIdentityFile } from '../support/testIdentity.ts';
import { OTHER_KEY, TEST_KEY, tempDir, writeTestKeyFile } from '../support/testKey.ts';
import { type TestCerts, testCertsOrSkip } from '../support/tlsCerts.ts';
import { launchChromium, skipBrowser } from './support/chromium.ts';

// The web client in a real browser (Debian's Chromium, driven by playwright-core) and the
// terminal client, through one real hub: both ways, a wrong key, a hub restart, history, and
// hostile text. One browser for the file; a context (a fresh profile) per page.

vi.setConfig({ testTimeout: 60_000 });

let browser: Browser;
let dir: string;
let cleanup: () => void;
let keyFile: string;
let certs: TestCerts | undefined;
const contexts: BrowserContext[] = [];

beforeAll(async () => {
  if (skipBrowser) return;
  ({ dir, cleanup } = tempDir('fernet-chat-web-'));
  keyFile = writeTestKeyFile(dir, 'chat.key');
  certs = testCertsOrSkip(dir);
  // Chromium trusts the throwaway hub certificate's key, and no other: its CA is not in its store.
  browser = await launchChromium(certs === undefined ? [] : [spkiHash(certs.hubCert)]);
}, 30_000);
afterEach(async () => {
  for (const context of contexts.splice(0)) await context.close();
  await stopAll();
});
afterAll(async () => {
  await browser?.close();
  cleanup?.();
});

/** The base64 SHA-256 of a certificate's SubjectPublicKeyInfo, as Chromium's SPKI list takes it. */
function spkiHash(certFile: string): string {
  const spki = new X509Certificate(readFileSync(certFile)).publicKey.export({ type: 'spki', format: 'der' });
  return createHash('sha256').update(spki).digest('base64');
}

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
async function join(
  url: string,
  name: string,
  key = TEST_KEY,
  viewport?: { width: number; height: number },
  /** Run in the page before its own script: to take away what some browsers lack. */
  initScript?: string,
): Promise<WebUser> {
  const user = await submitJoin(url, name, key, viewport, initScript);
  await user.page.locator('#messages li', { hasText: /connected as #\d+/ }).waitFor({ timeout: 15_000 });
  return user;
}

/** Opens the page and submits the join form, without waiting for the hub to take it. */
async function submitJoin(
  url: string,
  name: string,
  key: string,
  viewport?: { width: number; height: number },
  initScript?: string,
): Promise<WebUser> {
  const context = await browser.newContext(viewport === undefined ? {} : { viewport });
  contexts.push(context);
  if (initScript !== undefined) await context.addInitScript({ content: initScript });
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
    // Her own line shows on her page, as the terminal keeps what was typed on screen.
    await shown(web, 'wendy: hello from the browser — olá 🎉');
    // The sender's name is an element of its own, in its colour class; the time is shown. tom
    // signs (test clients have identities): his name shows bare only because the page checked
    // his signature on Web Crypto (unsigned it would be ~tom; a bad signature, a warning).
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

  it('signs with a key kept in this browser: the terminal shows its lines as signed, and a reload keeps the key', async () => {
    const hub = await startHub();
    const tom = await terminal(hub.port, 'tom');
    const web = await join(hub.webUrl, 'wendy');
    const fingerprint = /with identity ((?:[0-9a-f]{4} ){7}[0-9a-f]{4})/.exec(
      (await web.page.locator('#messages li', { hasText: 'you sign as wendy' }).textContent()) ?? '',
    )?.[1];
    expect(fingerprint).toBeDefined();
    await say(web, 'signed in the browser');
    // Bare: the terminal checked the page's signature and pinned wendy to its key (~wendy would
    // be unsigned, "wendy (new key …)" another key).
    expect(await tom.waitForLine('stdout', /wendy: signed in the browser$/, 15_000)).not.toMatch(/~wendy/);
    tom.write('/whois wendy\n');
    await tom.waitForLine('stdout', `wendy: ${fingerprint!} (pinned`, 15_000);

    // The same browser after a reload: the join form shows the kept identity, which signs again.
    await web.page.reload();
    // Shown once IndexedDB has answered: the note's text is set as it is unhidden.
    await web.page.locator('#identity-line').waitFor({ state: 'visible' });
    expect(await web.page.locator('#identity-fingerprint').textContent()).toBe(fingerprint);
    await web.page.fill('#name', 'wendy');
    await web.page.fill('#key', TEST_KEY);
    await web.page.press('#key', 'Enter');
    await shown(web, /connected as #\d+/);
    await say(web, 'back after a reload');
    expect(await tom.waitForLine('stdout', /wendy: back after a reload$/, 15_000)).not.toMatch(/~wendy/);
    expect([...tom.lines('stdout'), ...tom.lines('stderr')].filter((line) => /new key/.test(line))).toEqual(
      [],
    );

    // Forgotten on the join form: the next join signs with a new key.
    await web.page.click('#leave');
    await web.page.locator('#identity-line').waitFor({ state: 'visible' });
    await web.page.click('#forget-identity');
    await web.page.locator('#identity-line').waitFor({ state: 'hidden' });
    await web.page.fill('#name', 'wendy');
    await web.page.fill('#key', TEST_KEY);
    await web.page.press('#key', 'Enter');
    const again = await web.page.locator('#messages li', { hasText: 'you sign as wendy' }).textContent();
    expect(again).toMatch(/with identity [0-9a-f ]{39}/);
    expect(again).not.toContain(fingerprint);
    expect(web.problems).toEqual([]);
  });

  it('keeps the names it pinned across visits: a name back with another key after a reload is warned about', async () => {
    // No history: on the second visit the page has not seen tom's first line again.
    const hub = await startHub(['--history-frames', '0']);
    const tom = await terminal(hub.port, 'tom');
    const web = await join(hub.webUrl, 'wendy');
    tom.write('first visit\n');
    await shown(web, 'tom: first visit');
    tom.kill('SIGKILL');
    await shown(web, 'tom left');

    // A later visit in the same browser; someone else says they are tom, and speaks first.
    await web.page.reload();
    await web.page.fill('#name', 'wendy');
    await web.page.fill('#key', TEST_KEY);
    await web.page.press('#key', 'Enter');
    await shown(web, /connected as #\d+/);
    const impostor = startTestClient(
      hub.port,
      keyFile,
      'tom',
      '--identity-file',
      testIdentityFile('not tom'),
    );
    await impostor.waitForLine('stderr', /^\* connected as #\d+/, 15_000);
    impostor.write('it is me, tom\n');
    await shown(web, '"tom" is signing with a new key: this may not be tom');
    await shown(web, 'it is me, tom');
    expect(web.problems).toEqual([]);
  });

  it('still chats where the browser cannot keep a key (one for the visit) or make one (unsigned), and says so', async () => {
    const hub = await startHub();
    const tom = await terminal(hub.port, 'tom');
    const noStore = await join(
      hub.webUrl,
      'nora',
      TEST_KEY,
      undefined,
      "Object.defineProperty(window, 'indexedDB', { get: () => undefined });",
    );
    await shown(noStore, /cannot keep your identity \(no IndexedDB here\)/);
    await say(noStore, 'signed for this visit');
    expect(await tom.waitForLine('stdout', /nora: signed for this visit$/, 15_000)).not.toMatch(/~nora/);
    // As in a browser without Ed25519 in Web Crypto (Firefox before 129, Safari before 17).
    const noEd25519 = await join(
      hub.webUrl,
      'ursula',
      TEST_KEY,
      undefined,
      `const generate = crypto.subtle.generateKey.bind(crypto.subtle);
       crypto.subtle.generateKey = (algorithm, ...rest) =>
         algorithm?.name === 'Ed25519'
           ? Promise.reject(new DOMException('Unrecognized name.', 'NotSupportedError'))
           : generate(algorithm, ...rest);`,
    );
    await shown(noEd25519, /cannot make a signing key \(no Ed25519 in its Web Crypto\)/);
    await say(noEd25519, 'unsigned but sent');
    await tom.waitForLine('stdout', /~ursula: unsigned but sent$/, 15_000);
    expect([...noStore.problems, ...noEd25519.problems]).toEqual([]);
  });

  it("joins from keygen's link: the key comes from the #fragment, which then leaves the address bar", async () => {
    const hub = await startHub();
    const made = await runBin('keygen', ['--link', hub.webUrl, joinPath(dir, 'linked.key')]);
    expect(made.exit.code).toBe(0);
    const link = /^(http:\/\/\S+#key=\S+)$/m.exec(made.stdout)![1]!;
    const context = await browser.newContext();
    contexts.push(context);
    const page = await context.newPage();
    await page.goto(link);
    expect(new URL(page.url()).hash).toBe('');
    expect(await page.inputValue('#key')).toBe(new URL(link).hash.slice('#key='.length));
    await page.fill('#name', 'linda');
    await page.press('#name', 'Enter');
    await page.locator('#messages li', { hasText: /connected as #\d+/ }).waitFor({ timeout: 15_000 });
    // The key text is gone from the page once it is a CryptoKey; session storage was not asked for.
    expect(await page.inputValue('#key')).toBe('');
    expect(await page.evaluate('sessionStorage.length')).toBe(0);
    const fingerprint = /^key fingerprint (.+)$/m.exec(made.stdout)![1]!;
    expect(await page.locator('#fingerprint').textContent()).toBe(`key ${fingerprint}`);
  });

  it('shows hostile text as text: nothing it holds runs, no element is made of it', async () => {
    const hub = await startHub();
    const web = await join(hub.webUrl, 'wendy', TEST_KEY, { width: 360, height: 640 }); // a phone
    const tom = await terminal(hub.port, 'tom');
    const hostile = '<img src=x onerror=alert(1)><script>alert(2)</script><b>bold</b>';
    tom.write(`${hostile}\n`);
    await shown(web, `tom: ${hostile}`);
    const list = web.page.locator('#messages');
    expect(await list.locator('img, script, b').count()).toBe(0);
    expect(await list.textContent()).toContain(hostile);
    // No dialog, no error, no CSP refusal (an inline handler would have been one).
    expect(web.problems).toEqual([]);
    // At phone width nothing runs off the side, and the list is announced to screen readers.
    expect(await web.page.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(360);
    expect(await list.getAttribute('aria-live')).toBe('polite');
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

  it("answers an --admit hub's challenge on Web Crypto and chats; with a key not on the list, says so once and stops; never answers a hub named otherwise than its host", async () => {
    const admit = joinPath(dir, 'admit.keys');
    writeFileSync(admit, `${admissionKeyOf(FernetKey.parse(TEST_KEY)).publicKey}\n`);
    // The page compares the challenge's hub name with the host it was loaded from: 127.0.0.1.
    const hub = await startHub(['--admit', admit, '--hub-name', '127.0.0.1']);
    const web = await join(hub.webUrl, 'wendy');
    const tom = await terminal(hub.port, 'tom');
    await shown(web, /tom joined/);
    await say(web, 'admitted from the browser');
    await tom.waitForLine('stdout', /wendy: admitted from the browser$/, 15_000);

    const outsider = await submitJoin(hub.webUrl, 'mallory', OTHER_KEY);
    await shown(outsider, "* the hub did not admit this key: it is not on the hub's --admit list");
    await hub.bin.waitForLine('stderr', /event=unauthorized .*why=unknown-key/);
    // No retry: past the first backoff (0.5 s, jitter included) there is still one refusal.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(hub.bin.stderr.match(/event=unauthorized /g)).toHaveLength(1);
    expect(await outsider.page.locator('#messages li', { hasText: /admit|trying/ }).count()).toBe(1);

    // A hub that calls itself by another name than the page was loaded from gets no answer.
    const elsewhere = await startHub(['--admit', admit, '--hub-name', 'localhost']);
    const wary = await submitJoin(elsewhere.webUrl, 'wendy', TEST_KEY);
    await shown(wary, '* the hub calls itself localhost, not 127.0.0.1: not answering its challenge');
    expect(elsewhere.bin.stderr).not.toMatch(/event=join /);
    expect([...web.problems, ...outsider.problems, ...wary.problems]).toEqual([]);
  });

  it('joins a hub with TLS and --admit over https and wss, and chats with a terminal client over TLS', async (context) => {
    if (certs === undefined) return context.skip();
    const admit = joinPath(dir, 'admit-tls.keys');
    writeFileSync(admit, `${admissionKeyOf(FernetKey.parse(TEST_KEY)).publicKey}\n`);
    const hub = await startHub([
      ...['--tls-cert', certs.hubCert, '--tls-key', certs.hubKey],
      ...['--admit', admit, '--hub-name', '127.0.0.1'],
    ]);
    expect(hub.webUrl).toMatch(/^https:\/\/127\.0\.0\.1:\d+\/$/);
    const web = await join(hub.webUrl, 'wendy');
    const tom = startTestClient(hub.port, keyFile, 'tom', '--tls-ca', certs.caFile);
    await tom.waitForLine('stderr', /^\* connected as #\d+, 2 online$/, 15_000);
    await say(web, 'hello over wss');
    await tom.waitForLine('stdout', /wendy: hello over wss$/, 15_000);
    tom.write('hello over tls\n');
    await shown(web, 'tom: hello over tls');
    expect(web.problems).toEqual([]);
  });
});

describe.skipIf(skipBrowser)('Fernet on Web Crypto inside Chromium', () => {
  /** webFernet.ts bundled as the page bundles it (the same shims), to run in the page's origin. */
  async function fernetBundle(): Promise<string> {
    const web = joinPath(ROOT, 'src', 'web');
    const result = await build({
      entryPoints: [joinPath(ROOT, 'test', 'web', 'support', 'fernetInPage.ts')],
      bundle: true,
      write: false,
      format: 'iife',
      platform: 'browser',
      alias: { 'node:crypto': joinPath(web, 'nodeCryptoShim.ts') },
      inject: [joinPath(web, 'bufferShim.ts')],
      logLevel: 'silent',
    });
    return result.outputFiles[0]!.text;
  }
  const fixture = (path: string) => readFileSync(joinPath(ROOT, 'fixtures', path), 'utf8');

  it('makes the spec tokens, opens the spec and Python tokens, refuses the invalid ones alike, and Python opens its tokens', async () => {
    const hub = await startHub();
    // The hub's page origin, for a secure context; the test's script is added past the CSP,
    // which (rightly) lets no inline script in.
    const context = await browser.newContext({ bypassCSP: true });
    contexts.push(context);
    const page = await context.newPage();
    await page.goto(hub.webUrl);
    await page.addScriptTag({ content: await fernetBundle() });
    const generate = JSON.parse(fixture('fernet-spec/generate.json')) as Record<string, unknown>[];
    const verify = JSON.parse(fixture('fernet-spec/verify.json')) as Record<string, unknown>[];
    const invalid = JSON.parse(fixture('fernet-spec/invalid.json')) as Record<string, unknown>[];
    const python = JSON.parse(fixture('python/tokens.json')).tokens as {
      token: string;
      plaintext_base64: string;
    }[];
    const keyFile = fixture('python/fixture.key');
    const texts = ['from Chromium', 'olá 🎉', 'x'.repeat(3000)];
    const results = await page.evaluate(
      async ({ generate, verify, invalid, python, keyFile, texts, testKey }) => {
        type Ring = {
          encrypt(p: string, o?: { now?: number; iv?: Uint8Array }): Promise<string>;
          open(
            t: string,
            o?: { ttlSeconds?: number; now?: () => number },
          ): Promise<{ plaintext: Uint8Array }>;
        };
        const { FernetKey, parseKeyText, WebKeyRing } = (
          globalThis as unknown as {
            fernetInPage: {
              FernetKey: { parse(text: string): unknown };
              parseKeyText(text: string): unknown[];
              WebKeyRing: { import(keys: unknown[]): Promise<Ring> };
            };
          }
        ).fernetInPage;
        const seconds = (iso: unknown) => Date.parse(String(iso)) / 1000;
        const ringOf = (secret: unknown) => WebKeyRing.import([FernetKey.parse(String(secret))]);
        const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
        const base64 = (bytes: Uint8Array) => btoa(String.fromCharCode(...bytes));
        const made = [];
        for (const v of generate)
          made.push(
            await (
              await ringOf(v.secret)
            ).encrypt(String(v.src), {
              now: seconds(v.now),
              iv: new Uint8Array(v.iv as number[]),
            }),
          );
        const verified = [];
        for (const v of verify)
          verified.push(
            text(
              (
                await (
                  await ringOf(v.secret)
                ).open(String(v.token), { ttlSeconds: Number(v.ttl_sec), now: () => seconds(v.now) })
              ).plaintext,
            ),
          );
        const refused = [];
        for (const v of invalid) {
          try {
            await (
              await ringOf(v.secret)
            ).open(String(v.token), { ttlSeconds: Number(v.ttl_sec), now: () => seconds(v.now) });
            refused.push('no error');
          } catch (error) {
            refused.push((error as { code?: string }).code ?? String(error));
          }
        }
        const ring = await WebKeyRing.import(parseKeyText(keyFile));
        const fromPython = [];
        for (const t of python) fromPython.push(base64((await ring.open(t.token)).plaintext));
        const ours = await ringOf(testKey);
        const forPython = [];
        for (const t of texts) forPython.push(await ours.encrypt(t));
        return {
          made,
          verified,
          refused,
          fromPython,
          forPython,
          secure: (globalThis as unknown as { isSecureContext: boolean }).isSecureContext,
        };
      },
      { generate, verify, invalid, python, keyFile, texts, testKey: TEST_KEY },
    );
    expect(results.secure).toBe(true);
    expect(results.made).toEqual(generate.map((v) => v.token));
    expect(results.verified).toEqual(verify.map((v) => v.src));
    // The same codes as the Node codec gives each invalid token.
    const nodeCodes = invalid.map((v) => {
      try {
        KeyRing.parse(String(v.secret)).open(String(v.token), {
          ttlSeconds: Number(v.ttl_sec),
          now: () => Date.parse(String(v.now)) / 1000,
        });
        return 'no error';
      } catch (error) {
        return (error as { code: string }).code;
      }
    });
    expect(nodeCodes).not.toContain('no error');
    expect(results.refused).toEqual(nodeCodes);
    expect(results.fromPython).toEqual(python.map((t) => t.plaintext_base64));
    if (pythonMissing !== undefined) return console.warn(`not asking Python: ${pythonMissing}`);
    const ops = results.forPython.map((token) => ({ op: 'decrypt', keys: [TEST_KEY], token }));
    const answer = JSON.parse(await runPythonScript('fernet_oracle.py', JSON.stringify({ ops }))) as {
      results: { ok: boolean; plaintext?: string }[];
    };
    expect(answer.results.map((r) => Buffer.from(r.plaintext ?? '', 'base64').toString('utf8'))).toEqual(
      texts,
    );
  });
});
