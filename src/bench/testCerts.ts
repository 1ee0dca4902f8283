import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { type AddressInfo, createServer } from 'node:net';
import { join } from 'node:path';
import { connect } from 'node:tls';

/**
 * Throwaway certificates for the TLS tests, the TLS attacks (`npm run attack`) and the admission
 * benchmark, made at run time with Debian's `openssl` command (never committed): a CA, a hub
 * certificate it signs for `localhost` and 127.0.0.1, one it signs for another name only, and a
 * second CA that signed nothing of the hub's. EC P-256 keys: the whole set takes a few tens of
 * milliseconds. `.ci/run` installs openssl when missing.
 */
export interface TestCerts {
  readonly dir: string;
  /** The CA that signed the hub's certificates. */
  readonly caFile: string;
  readonly ca: string;
  /** A CA that signed none of them. */
  readonly otherCaFile: string;
  /** For DNS:localhost and IP:127.0.0.1. */
  readonly hubCert: string;
  readonly hubKey: string;
  /** For DNS:elsewhere.test only. */
  readonly elsewhereCert: string;
  readonly elsewhereKey: string;
}

export type CertsCheck =
  { readonly ok: true; readonly certs: TestCerts } | { readonly ok: false; readonly reason: string };

function openssl(dir: string, args: readonly string[]): void {
  const run = spawnSync('openssl', args, { cwd: dir, encoding: 'utf8', timeout: 20_000 });
  if (run.error) throw run.error;
  if (run.status !== 0) throw new Error(`openssl ${args.join(' ')}: ${run.stderr.trim()}`);
}

/** Makes the set in `dir`, or says why it cannot (no openssl command). */
export function makeTestCerts(dir: string): CertsCheck {
  const probe = spawnSync('openssl', ['version'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0)
    return { ok: false, reason: 'the openssl command is missing (apt-get install openssl; .ci/run does)' };
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
  const ca = (name: string) =>
    openssl(dir, [
      'req',
      '-x509',
      ...ec,
      '-keyout',
      `${name}.key`,
      '-out',
      `${name}.pem`,
      '-days',
      '2',
      '-subj',
      `/CN=${name}`,
    ]);
  const leaf = (name: string, san: string) => {
    openssl(dir, ['req', ...ec, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name}`]);
    writeFileSync(join(dir, `${name}.ext`), `subjectAltName=${san}\n`);
    openssl(dir, [
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      '-CA',
      'ca.pem',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-out',
      `${name}.pem`,
      '-days',
      '2',
      '-extfile',
      `${name}.ext`,
    ]);
  };
  ca('ca');
  ca('other-ca');
  leaf('hub', 'DNS:localhost,IP:127.0.0.1');
  leaf('elsewhere', 'DNS:elsewhere.test');
  const path = (file: string) => join(dir, file);
  return {
    ok: true,
    certs: {
      dir,
      caFile: path('ca.pem'),
      ca: readFileSync(path('ca.pem'), 'utf8'),
      otherCaFile: path('other-ca.pem'),
      hubCert: path('hub.pem'),
      hubKey: path('hub.key'),
      elsewhereCert: path('elsewhere.pem'),
      elsewhereKey: path('elsewhere.key'),
    },
  };
}

/**
 * The first bytes a TLS client sends, its ClientHello, caught by a plain TCP listener: for a
 * client that sends part of one and stalls.
 */
export function clientHello(): Promise<Buffer> {
  return new Promise((resolve) => {
    const catcher = createServer((socket) =>
      socket.once('data', (data: Buffer) => {
        resolve(data);
        socket.destroy();
        catcher.close();
      }),
    );
    catcher.listen(0, '127.0.0.1', () => {
      const { port } = catcher.address() as AddressInfo;
      connect({ host: '127.0.0.1', port, rejectUnauthorized: false }).on('error', () => {});
    });
  });
}
