import {
  closeSync,
  constants,
  fstatSync,
  openSync,
  readSync,
  type Stats,
  statSync,
  writeSync,
} from 'node:fs';
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
  let text: string;
  let fd: number | undefined;
  try {
    // One open file for the checks and the read, so the file checked is the file read.
    // O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer, for ever.
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
    text = checkedText(path, fd);
  } catch (error) {
    if (error instanceof KeyFileError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') {
      throw new KeyFileError(
        'not-found',
        `key file ${path} does not exist (create one with: npm run keygen -- ${path})`,
      );
    }
    // A socket cannot be opened at all (ENXIO); say what it is rather than the errno.
    const kind = code === 'ENXIO' ? kindAt(path) : undefined;
    if (kind !== undefined) throw notAFile(path, kind);
    throw new KeyFileError('unreadable', `cannot read key file ${path} (${code ?? String(error)})`);
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
  try {
    return KeyRing.parse(text);
  } catch (error) {
    if (error instanceof FernetError) throw new KeyFileError('bad-key', `key file ${path}: ${error.message}`);
    throw error;
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

/**
 * The text of an open key file, once it is known to be a regular file, small, and private. The
 * size goes before the mode, so that a caller that forgives the mode (a fixture's published
 * key) never reads a big file either.
 */
function checkedText(path: string, fd: number): string {
  const stats = fstatSync(fd);
  if (!stats.isFile()) throw notAFile(path, kindOf(stats));
  if (stats.size > MAX_KEY_FILE_BYTES) throw tooLarge(path, `${stats.size} bytes`);
  if (isTooOpen(stats.mode)) {
    const octal = (stats.mode & 0o777).toString(8).padStart(4, '0');
    throw new KeyFileError(
      'too-open',
      `key file ${path} is readable by others (mode ${octal}); fix it with: chmod 600 ${path}`,
    );
  }
  // At most one byte past the limit, in case the file grew after the fstat.
  const buffer = Buffer.alloc(MAX_KEY_FILE_BYTES + 1);
  let length = 0;
  for (;;) {
    const read = readSync(fd, buffer, length, buffer.length - length, null);
    if (read === 0) break;
    length += read;
    if (length > MAX_KEY_FILE_BYTES)
      throw tooLarge(path, `over ${MAX_KEY_FILE_BYTES} bytes (it grew as it was read)`);
  }
  return buffer.toString('utf8', 0, length);
}

function notAFile(path: string, kind: string): KeyFileError {
  return new KeyFileError(
    'not-a-file',
    `key file ${path} is ${kind}, not a regular file (make a key file with: npm run keygen -- FILE)`,
  );
}

function tooLarge(path: string, size: string): KeyFileError {
  return new KeyFileError(
    'too-large',
    `key file ${path} is ${size}, too big for a key file (at most ${MAX_KEY_FILE_BYTES} bytes, room for over 1,400 keys)`,
  );
}

function kindOf(stats: Stats): string {
  if (stats.isDirectory()) return 'a directory';
  if (stats.isFIFO()) return 'a FIFO (named pipe)';
  if (stats.isSocket()) return 'a socket';
  if (stats.isCharacterDevice()) return 'a character device';
  if (stats.isBlockDevice()) return 'a block device';
  return 'not a file';
}

/** What is at `path`, for a file that cannot be opened; undefined when even that is unknown. */
function kindAt(path: string): string | undefined {
  try {
    return kindOf(statSync(path));
  } catch {
    return undefined;
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
