import { closeSync, constants, fstatSync, openSync, readSync, type Stats, statSync } from 'node:fs';

/**
 * Why a small file given by a setting (a key, an identity, an admit list, a PEM file, the pinned
 * names) was not read. The caller turns it into its one line: the setting, the file, what to do.
 */
export type SmallFileProblem =
  | { readonly code: 'not-found' }
  /** `kind`: "a directory", "a FIFO (named pipe)", … */
  | { readonly code: 'not-a-file'; readonly kind: string }
  /** `size`: "70000 bytes", or "over 65536 bytes (it grew as it was read)". */
  | { readonly code: 'too-large'; readonly size: string }
  /** Refused by the caller's `refuseMode` (group or others may read a private file). */
  | { readonly code: 'too-open'; readonly mode: number }
  | { readonly code: 'unreadable'; readonly errno: string };

export type SmallFile =
  | { readonly ok: true; readonly bytes: Buffer; readonly text: string }
  | { readonly ok: false; readonly problem: SmallFileProblem };

export interface SmallFileOptions {
  readonly maxBytes: number;
  /** Whether the file's mode refuses it; checked after the size, before a byte is read. */
  readonly refuseMode?: (mode: number) => boolean;
}

/**
 * Reads a regular file of at most `maxBytes` (its bytes, and as UTF-8). One open file serves the checks and the
 * read, so the file checked is the file read. A FIFO would block the open until someone writes
 * (hence O_NONBLOCK) and a device may never end: only a regular file is read, and never past the
 * limit, even one that grows as it is read.
 */
export function readSmallFile(path: string, options: SmallFileOptions): SmallFile {
  let fd: number | undefined;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
    const stats = fstatSync(fd);
    if (!stats.isFile()) return refused({ code: 'not-a-file', kind: kindOf(stats) });
    if (stats.size > options.maxBytes) return refused({ code: 'too-large', size: `${stats.size} bytes` });
    if (options.refuseMode?.(stats.mode) === true) return refused({ code: 'too-open', mode: stats.mode });
    // At most one byte past the limit, to see a file that grew after the fstat.
    const buffer = Buffer.alloc(options.maxBytes + 1);
    let length = 0;
    for (;;) {
      const read = readSync(fd, buffer, length, buffer.length - length, null);
      if (read === 0) break;
      length += read;
      if (length > options.maxBytes)
        return refused({
          code: 'too-large',
          size: `over ${options.maxBytes} bytes (it grew as it was read)`,
        });
    }
    const bytes = buffer.subarray(0, length);
    return { ok: true, bytes, text: bytes.toString('utf8') };
  } catch (error) {
    const errno = (error as NodeJS.ErrnoException).code ?? String(error);
    if (errno === 'ENOENT') return refused({ code: 'not-found' });
    // A socket cannot be opened at all (ENXIO): say what it is rather than the errno.
    const kind = errno === 'ENXIO' ? kindAt(path) : undefined;
    return refused(kind === undefined ? { code: 'unreadable', errno } : { code: 'not-a-file', kind });
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** A mode's permission bits as `chmod` takes them: 0644. */
export function octalMode(mode: number): string {
  return (mode & 0o777).toString(8).padStart(4, '0');
}

function refused(problem: SmallFileProblem): SmallFile {
  return { ok: false, problem };
}

function kindOf(stats: Stats): string {
  if (stats.isDirectory()) return 'a directory';
  if (stats.isFIFO()) return 'a FIFO (named pipe)';
  if (stats.isSocket()) return 'a socket';
  if (stats.isCharacterDevice()) return 'a character device';
  if (stats.isBlockDevice()) return 'a block device';
  return 'not a file';
}

function kindAt(path: string): string | undefined {
  try {
    return kindOf(statSync(path));
  } catch {
    return undefined;
  }
}
