import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';

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
  const fail = (why: string) => new PemFileError(`${flag} ${path}: ${why}`);
  let fd: number;
  try {
    // O_NONBLOCK: a FIFO given by mistake is refused below instead of blocking the open.
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (error) {
    const errno = (error as NodeJS.ErrnoException).code;
    throw fail(errno === 'ENOENT' ? 'no such file' : `cannot read it (${errno ?? String(error)})`);
  }
  try {
    const stats = fstatSync(fd);
    if (!stats.isFile()) throw fail('not a regular file');
    if (stats.size > MAX_PEM_BYTES) throw fail(`${stats.size} bytes, too big for a PEM file`);
    const buffer = Buffer.alloc(MAX_PEM_BYTES + 1);
    let length = 0;
    for (;;) {
      const read = readSync(fd, buffer, length, buffer.length - length, null);
      if (read === 0 || (length += read) > MAX_PEM_BYTES) break;
    }
    if (length > MAX_PEM_BYTES) throw fail('too big for a PEM file');
    return buffer.toString('utf8', 0, length);
  } finally {
    closeSync(fd);
  }
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
