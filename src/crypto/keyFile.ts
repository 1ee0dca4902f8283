import { closeSync, constants, openSync, writeSync } from 'node:fs';
import { whyNotCreated } from '../config/createError.ts';
import { octalMode, readSmallFile, type SmallFileProblem } from '../config/smallFile.ts';
import { FernetError } from './fernetError.ts';
import type { FernetKey } from './fernetKey.ts';
import { KeyRing } from './keyRing.ts';

export type KeyFileErrorCode =
  'not-found' | 'unreadable' | 'not-a-file' | 'too-large' | 'too-open' | 'exists' | 'bad-key';

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
 * The largest key file read: a key line is 45 bytes (44 characters and an LF), so 64 KiB holds
 * over 1,400 keys with room for comments. Anything bigger is not a key file, and is refused
 * before a byte of it is read.
 */
export const MAX_KEY_FILE_BYTES = 64 * 1024;

/**
 * Reads a key file into a key ring. Like ssh with private keys, it refuses a file that group or
 * others may read, and says how to fix it. Only a regular file of at most MAX_KEY_FILE_BYTES is
 * read: a FIFO would block the read until someone writes to it, and a device may never end.
 */
export function readKeyFile(path: string): KeyRing {
  const file = readSmallFile(path, { maxBytes: MAX_KEY_FILE_BYTES, refuseMode: isTooOpen });
  if (!file.ok) throw keyFileError(path, file.problem);
  try {
    return KeyRing.parse(file.text);
  } catch (error) {
    if (error instanceof FernetError) throw new KeyFileError('bad-key', `key file ${path}: ${error.message}`);
    throw error;
  }
}

function keyFileError(path: string, problem: SmallFileProblem): KeyFileError {
  switch (problem.code) {
    case 'not-found':
      return new KeyFileError(
        'not-found',
        `key file ${path} does not exist (create one with: npm run keygen -- ${path})`,
      );
    case 'not-a-file':
      return new KeyFileError(
        'not-a-file',
        `key file ${path} is ${problem.kind}, not a regular file (make a key file with: npm run keygen -- FILE)`,
      );
    case 'too-large':
      return new KeyFileError(
        'too-large',
        `key file ${path} is ${problem.size}, too big for a key file (at most ${MAX_KEY_FILE_BYTES} bytes, room for over 1,400 keys)`,
      );
    case 'too-open':
      return new KeyFileError(
        'too-open',
        `key file ${path} is readable by others (mode ${octalMode(problem.mode)}); fix it with: chmod 600 ${path}`,
      );
    case 'unreadable':
      return new KeyFileError('unreadable', `cannot read key file ${path} (${problem.errno})`);
  }
}

/**
 * Whether a key file's mode lets group or others read it. Not on Windows: there a file's access
 * is an NTFS ACL, which Node does not show (its mode is 0666 or 0444 whatever the ACL says), so
 * the check would refuse every key file; protecting it is left to the user profile's ACL.
 */
export function isTooOpen(mode: number, platform: NodeJS.Platform = process.platform): boolean {
  return platform !== 'win32' && (mode & 0o077) !== 0;
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
    throw new KeyFileError('unreadable', `cannot create ${path}: ${whyNotCreated(error)}`);
  }
  try {
    const header = comment ? `# ${comment}\n` : '';
    writeSync(fd, `${header}${keys.map((key) => key.toString()).join('\n')}\n`);
  } finally {
    closeSync(fd);
  }
}
