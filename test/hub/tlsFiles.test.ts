import { chmodSync, copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { HubStartError } from '../../src/hub/hubStartError.ts';
import { readTlsFiles, tlsKeyWarning } from '../../src/hub/tlsFiles.ts';
import { runBin, stopAll } from '../support/bins.ts';
import { startTestHub } from '../support/hub.ts';
import { tempDir, writeTestKeyFile } from '../support/testKey.ts';
import { type TestCerts, testCertsOrSkip } from '../support/tlsCerts.ts';

// Every bad --tls-cert or --tls-key is one line in our words at start, naming the setting and
// the file; --tls-ca likewise for the client.

let dir: string;
let cleanup: () => void;
let certs: TestCerts | undefined;
beforeAll(() => {
  ({ dir, cleanup } = tempDir('fernet-chat-tls-files-'));
  certs = testCertsOrSkip(dir);
});
afterEach(stopAll);
afterAll(() => cleanup());

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

function refusal(cert: string, key: string, now?: Date): { code: string; message: string } {
  try {
    readTlsFiles(cert, key, now);
  } catch (error) {
    if (error instanceof HubStartError) return { code: error.code, message: error.message };
    throw error;
  }
  throw new Error('accepted');
}

describe('the hub checks --tls-cert and --tls-key at start', () => {
  it('accepts a certificate with its own key', (context) => {
    if (certs === undefined) return context.skip();
    const options = readTlsFiles(certs.hubCert, certs.hubKey);
    expect(options.cert).toContain('BEGIN CERTIFICATE');
  });

  it('refuses each bad file with one line naming the setting and what is wrong', (context) => {
    if (certs === undefined) return context.skip();
    const { hubCert, hubKey, elsewhereKey } = certs;
    const garbage = file('garbage.pem', 'hello\n');
    const cut = file('cut.pem', readFileSync(hubCert, 'utf8').slice(0, 200));
    const encrypted = join(dir, 'encrypted.key');
    spawnSync('openssl', ['pkey', '-in', hubKey, '-out', encrypted, '-aes256', '-passout', 'pass:secret']);
    const cases: [string, string, { code: string; message: string }][] = [
      [
        join(dir, 'none.pem'),
        hubKey,
        { code: 'tls-cert', message: `--tls-cert ${join(dir, 'none.pem')}: no such file` },
      ],
      [dir, hubKey, { code: 'tls-cert', message: `--tls-cert ${dir}: a directory, not a regular file` }],
      [
        garbage,
        hubKey,
        {
          code: 'tls-cert',
          message: `--tls-cert ${garbage}: no PEM certificate in it (-----BEGIN CERTIFICATE-----)`,
        },
      ],
      [
        hubKey,
        hubCert,
        {
          code: 'tls-cert',
          message: `--tls-cert ${hubKey}: this is a private key, not a certificate (are --tls-cert and --tls-key swapped?)`,
        },
      ],
      [
        cut,
        hubKey,
        {
          code: 'tls-cert',
          message: `--tls-cert ${cut}: the PEM certificate in it cannot be read (damaged or cut short?)`,
        },
      ],
      [
        hubCert,
        garbage,
        {
          code: 'tls-key',
          message: `--tls-key ${garbage}: no PEM private key in it (-----BEGIN PRIVATE KEY-----)`,
        },
      ],
      [
        hubCert,
        hubCert,
        {
          code: 'tls-key',
          message: `--tls-key ${hubCert}: this is a certificate, not a private key (are --tls-cert and --tls-key swapped?)`,
        },
      ],
      [
        hubCert,
        elsewhereKey,
        {
          code: 'tls-key',
          message: `--tls-key ${elsewhereKey}: this key does not belong to the certificate in --tls-cert ${hubCert}`,
        },
      ],
      [
        hubCert,
        encrypted,
        {
          code: 'tls-key',
          message: `--tls-key ${encrypted}: the key is protected by a passphrase, which the hub cannot ask for (openssl pkey -in KEY -out PLAIN)`,
        },
      ],
    ];
    for (const [cert, key, expected] of cases) expect(refusal(cert, key)).toEqual(expected);
  });

  it('refuses an expired certificate, and one not valid yet', (context) => {
    if (certs === undefined) return context.skip();
    const later = new Date(Date.now() + 3 * 86_400_000);
    expect(refusal(certs.hubCert, certs.hubKey, later).message).toMatch(
      /^--tls-cert .*hub\.pem: the certificate expired on .*GMT$/,
    );
    const earlier = new Date(Date.now() - 86_400_000);
    expect(refusal(certs.hubCert, certs.hubKey, earlier).message).toMatch(
      /^--tls-cert .*hub\.pem: the certificate is not valid before .*GMT$/,
    );
  });

  it('exits 1 with that one line, before it listens', async (context) => {
    if (certs === undefined) return context.skip();
    const run = await runBin('hub', [
      '--port',
      '0',
      '--tls-cert',
      certs.hubCert,
      '--tls-key',
      certs.elsewhereKey,
    ]);
    expect(run.exit.code).toBe(1);
    expect(run.stderr).toBe(
      `fernet-chat-hub: --tls-key ${certs.elsewhereKey}: this key does not belong to the certificate in --tls-cert ${certs.hubCert}\n`,
    );
  });

  it('starts, with a warning in its log, when others can read --tls-key', async (context) => {
    if (certs === undefined) return context.skip();
    expect(tlsKeyWarning(certs.hubKey)).toBeUndefined();
    const open = join(dir, 'open.key');
    copyFileSync(certs.hubKey, open);
    chmodSync(open, 0o644);
    const warning = `--tls-key ${open} is readable by others (mode 0644): anyone who can read it can pose as this hub; chmod 600 ${open}`;
    expect(tlsKeyWarning(open)).toBe(warning);
    const { bin } = await startTestHub(['--tls-cert', certs.hubCert, '--tls-key', open]);
    const line = await bin.waitForLine('stderr', /event=warning /);
    expect(line).toMatch(/event=warning detail=".*is readable by others \(mode 0644\)/);
  });

  it('exits 1 with one line for a bad admit file', async () => {
    const admit = file('admit.keys', 'not a key\n');
    const run = await runBin('hub', ['--port', '0', '--admit', admit, '--hub-name', 'localhost']);
    expect(run.exit.code).toBe(1);
    expect(run.stderr).toBe(
      `fernet-chat-hub: admit file ${admit}, line 1: not a public admission key (43 base64url characters, as fernet-chat-keygen --admission KEYFILE prints)\n`,
    );
  });
});

describe('the client checks --tls-ca at start', () => {
  it('exits 2 with one line for a missing file or one that holds no certificate', async () => {
    const keyFile = writeTestKeyFile(dir, 'chat.key');
    const notCa = file('not-ca.pem', '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n');
    for (const [ca, why] of [
      [join(dir, 'missing.pem'), 'no such file'],
      [
        notCa,
        'no PEM certificate in it (-----BEGIN CERTIFICATE-----); this is a private key, which must not leave the hub',
      ],
    ] as const) {
      const run = await runBin('client', [
        '--port',
        '1',
        '--key-file',
        keyFile,
        '--name',
        'al',
        '--tls-ca',
        ca,
      ]);
      expect(run.exit.code).toBe(2);
      expect(run.stderr).toBe(`fernet-chat-client: --tls-ca ${ca}: ${why}\n`);
    }
  });
});
