import {
  closeSync,
  constants,
  fstatSync,
  openSync,
  readSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import type { Pin } from '../actors/pinnedNames.ts';
import { withPin } from '../actors/pinnedNamesText.ts';

/** Far more than any group's names (a line is under 200 bytes); a bigger file is not read. */
export const MAX_PINNED_NAMES_BYTES = 1024 * 1024;

export class PinnedNamesFileError extends Error {
  override readonly name = 'PinnedNamesFileError';

  constructor(
    readonly code: 'unreadable' | 'not-a-file' | 'too-large',
    message: string,
  ) {
    super(message);
  }
}

/** The file's text; empty when it does not exist yet (nothing pinned). */
export function readPinnedNamesText(path: string): string {
  let fd: number | undefined;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
    const stats = fstatSync(fd);
    if (!stats.isFile())
      throw new PinnedNamesFileError('not-a-file', `pinned-names file ${path} is not a regular file`);
    if (stats.size > MAX_PINNED_NAMES_BYTES)
      throw new PinnedNamesFileError(
        'too-large',
        `pinned-names file ${path} is ${stats.size} bytes, too big (at most ${MAX_PINNED_NAMES_BYTES})`,
      );
    const buffer = Buffer.alloc(MAX_PINNED_NAMES_BYTES);
    let length = 0;
    for (;;) {
      const read = readSync(fd, buffer, length, buffer.length - length, null);
      if (read === 0 || (length += read) === buffer.length) break;
    }
    return buffer.toString('utf8', 0, length);
  } catch (error) {
    if (error instanceof PinnedNamesFileError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return '';
    throw new PinnedNamesFileError(
      'unreadable',
      `cannot read pinned-names file ${path} (${code ?? String(error)})`,
    );
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/**
 * Sets one pin in the file, read again just before: other clients sharing the file, and hand
 * edits, keep theirs. Written to a temporary file and renamed, so that a reader never sees half.
 */
export function savePin(path: string, pin: Pin): string {
  const text = withPin(readPinnedNamesText(path), pin);
  const temporary = `${path}.${process.pid}.tmp`;
  try {
    writeFileSync(temporary, text, { mode: 0o600 });
    renameSync(temporary, path);
    return text;
  } catch (error) {
    rmSync(temporary, { force: true });
    const code = (error as NodeJS.ErrnoException).code;
    throw new PinnedNamesFileError(
      'unreadable',
      `cannot write pinned-names file ${path} (${code ?? String(error)})`,
    );
  }
}
