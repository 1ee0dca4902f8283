import { createPrivateKey, type KeyObject, X509Certificate } from 'node:crypto';
import { statSync } from 'node:fs';
import { createSecureContext, type SecureContextOptions } from 'node:tls';
import { PemFileError, readPemFile } from '../config/pemFile.ts';
import { isTooOpen } from '../crypto/keyFile.ts';
import { HubStartError } from './hubStartError.ts';

/**
 * The hub's certificate and key (--tls-cert, --tls-key), checked at start so that a bad file is
 * one line in our words then, not an OpenSSL error at the first client: each must be PEM of the
 * right kind, the certificate valid today, and the key the certificate's.
 */
export function readTlsFiles(certPath: string, keyPath: string, now = new Date()): SecureContextOptions {
  const cert = readPem(certPath, 'tls-cert', '--tls-cert');
  const key = readPem(keyPath, 'tls-key', '--tls-key');
  const certFail = (why: string) => new HubStartError('tls-cert', `--tls-cert ${certPath}: ${why}`);
  const keyFail = (why: string) => new HubStartError('tls-key', `--tls-key ${keyPath}: ${why}`);

  if (!cert.includes('-----BEGIN CERTIFICATE-----'))
    throw certFail(
      cert.includes('PRIVATE KEY-----')
        ? 'this is a private key, not a certificate (are --tls-cert and --tls-key swapped?)'
        : 'no PEM certificate in it (-----BEGIN CERTIFICATE-----)',
    );
  let x509: X509Certificate;
  try {
    x509 = new X509Certificate(cert);
  } catch {
    throw certFail('the PEM certificate in it cannot be read (damaged or cut short?)');
  }
  if (new Date(x509.validTo) < now) throw certFail(`the certificate expired on ${x509.validTo}`);
  if (new Date(x509.validFrom) > now) throw certFail(`the certificate is not valid before ${x509.validFrom}`);

  if (!/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(key))
    throw keyFail(
      key.includes('-----BEGIN CERTIFICATE-----')
        ? 'this is a certificate, not a private key (are --tls-cert and --tls-key swapped?)'
        : 'no PEM private key in it (-----BEGIN PRIVATE KEY-----)',
    );
  if (key.includes('ENCRYPTED'))
    throw keyFail(
      'the key is protected by a passphrase, which the hub cannot ask for (openssl pkey -in KEY -out PLAIN)',
    );
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(key);
  } catch {
    throw keyFail('the PEM private key in it cannot be read (damaged or cut short?)');
  }
  if (!x509.checkPrivateKey(privateKey))
    throw keyFail(`this key does not belong to the certificate in --tls-cert ${certPath}`);
  const options = { cert, key };
  try {
    createSecureContext(options);
  } catch (error) {
    throw certFail(`TLS refuses this certificate and key (${(error as Error).message})`);
  }
  return options;
}

function readPem(path: string, code: 'tls-cert' | 'tls-key', flag: string): string {
  try {
    return readPemFile(path, flag);
  } catch (error) {
    if (error instanceof PemFileError) throw new HubStartError(code, error.message);
    throw error;
  }
}

/**
 * A warning for a --tls-key file that group or others may read (the hub starts anyway: the key
 * guards the transport, not the chat, and a service account's files are often shared by design),
 * or undefined.
 */
export function tlsKeyWarning(keyPath: string): string | undefined {
  let mode: number;
  try {
    mode = statSync(keyPath).mode;
  } catch {
    return undefined; // it was just read; a race that removed it is for the reader to find
  }
  if (!isTooOpen(mode)) return undefined;
  const octal = (mode & 0o777).toString(8).padStart(4, '0');
  return `--tls-key ${keyPath} is readable by others (mode ${octal}): anyone who can read it can pose as this hub; chmod 600 ${keyPath}`;
}
