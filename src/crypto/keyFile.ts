import { closeSync, constants, fstatSync, openSync, readFileSync, writeSync } from 'node:fs';
import { FernetError } from './fernetError.ts';
import type { FernetKey } from './fernetKey.ts';
import { KeyRing } from './keyRing.ts';

export type KeyFileErrorCode = 'not-found' | 'unreadable' | 'too-open' | 'exists' | 'bad-key';

export class KeyFileError extends Error {
  constructor(
    readonly code: KeyFileErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'KeyFileError';
  }
}

/**
 * Reads a key file into a key ring. Like ssh with private keys, it refuses a file that group or
 * others may read, and says how to fix it.
 */
export function readKeyFile(path: string): KeyRing {
  let mode: number;
  let text: string;
  let fd: number | undefined;
  try {
    // One open file for both the check and the read, so the file checked is the file read.
    fd = openSync(path, 'r');
    mode = fstatSync(fd).mode;
    text = (mode & 0o077) === 0 ? readFileSync(fd, 'utf8') : '';
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') {
      throw new KeyFileError(
        'not-found',
        `key file ${path} does not exist (create one with: npm run keygen -- ${path})`,
      );
    }
    throw new KeyFileError('unreadable', `cannot read key file ${path} (${code ?? String(error)})`);
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
  if ((mode & 0o077) !== 0) {
    const octal = (mode & 0o777).toString(8).padStart(4, '0');
    throw new KeyFileError(
      'too-open',
      `key file ${path} is readable by others (mode ${octal}); fix it with: chmod 600 ${path}`,
    );
  }
  try {
    return KeyRing.parse(text);
  } catch (error) {
    if (error instanceof FernetError) throw new KeyFileError('bad-key', `key file ${path}: ${error.message}`);
    throw error;
  }
}

/** Writes a new key file with mode 0600; never replaces an existing file. */
export function writeKeyFile(path: string, keys: readonly FernetKey[], comment?: string): void {
  let fd: number;
  try {
    fd = openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') {
      throw new KeyFileError(
        'exists',
        `${path} already exists; not overwriting it (choose another file name)`,
      );
    }
    throw new KeyFileError('unreadable', `cannot create ${path} (${code ?? String(error)})`);
  }
  try {
    const header = comment ? `# ${comment}\n` : '';
    writeSync(fd, `${header}${keys.map((key) => key.toString()).join('\n')}\n`);
  } finally {
    closeSync(fd);
  }
}
