import { renameSync, rmSync, writeFileSync } from 'node:fs';
import type { Pin } from '../actors/pinnedNames.ts';
import { withPin } from '../actors/pinnedNamesText.ts';
import { readSmallFile } from '../config/smallFile.ts';

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
  const file = readSmallFile(path, { maxBytes: MAX_PINNED_NAMES_BYTES });
  if (file.ok) return file.text;
  const problem = file.problem;
  switch (problem.code) {
    case 'not-found':
      return '';
    case 'not-a-file':
      throw new PinnedNamesFileError(
        'not-a-file',
        `pinned-names file ${path} is ${problem.kind}, not a regular file`,
      );
    case 'too-large':
      throw new PinnedNamesFileError(
        'too-large',
        `pinned-names file ${path} is ${problem.size}, too big (at most ${MAX_PINNED_NAMES_BYTES})`,
      );
    case 'too-open':
    case 'unreadable':
      throw new PinnedNamesFileError(
        'unreadable',
        `cannot read pinned-names file ${path} (${problem.code === 'unreadable' ? problem.errno : problem.code})`,
      );
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
