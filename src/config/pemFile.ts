import { readSmallFile } from './smallFile.ts';

/** A certificate chain or a key is a few KiB; a bigger file is not one. */
export const MAX_PEM_BYTES = 1024 * 1024;

/** A PEM file that cannot be read; the message names the setting and the file. */
export class PemFileError extends Error {
  override readonly name = 'PemFileError';
}

/**
 * Reads a PEM file given by a setting (`flag`, e.g. `--tls-ca`): a regular file of at most
 * MAX_PEM_BYTES. What is in it is the caller's to check.
 */
export function readPemFile(path: string, flag: string): string {
  const file = readSmallFile(path, { maxBytes: MAX_PEM_BYTES });
  if (file.ok) return file.text;
  const problem = file.problem;
  const why =
    problem.code === 'not-found'
      ? 'no such file'
      : problem.code === 'not-a-file'
        ? `${problem.kind}, not a regular file`
        : problem.code === 'too-large'
          ? `${problem.size}, too big for a PEM file`
          : `cannot read it (${problem.code === 'unreadable' ? problem.errno : problem.code})`;
  throw new PemFileError(`${flag} ${path}: ${why}`);
}

/** The certificates of a CA file (--tls-ca), checked to be PEM certificates. */
export function readCaFile(path: string, flag: string): string {
  const text = readPemFile(path, flag);
  if (!text.includes('-----BEGIN CERTIFICATE-----'))
    throw new PemFileError(
      `${flag} ${path}: no PEM certificate in it (-----BEGIN CERTIFICATE-----)${text.includes('PRIVATE KEY-----') ? '; this is a private key, which must not leave the hub' : ''}`,
    );
  return text;
}
