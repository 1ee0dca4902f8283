import { close, closeSync, constants, openSync, write, writeSync } from 'node:fs';
import { whyNotCreated } from '../config/createError.ts';

/** Where the recorder's lines go: each `write` is whole lines, written in as few calls as it can. */
export interface RecordingSink {
  write(data: Buffer): Promise<void>;
  close(): Promise<void>;
}

export interface RecordingFileError {
  readonly code: 'exists' | 'no-directory' | 'cannot-create';
  readonly message: string;
}

export type OpenedRecordingFile =
  | { readonly ok: true; readonly sink: RecordingSink }
  | { readonly ok: false; readonly error: RecordingFileError };

/**
 * Creates a recording file, mode 0600 (it holds who talked when), never replacing one, and
 * writes its first line at once so that even a hub killed right away leaves a valid recording.
 * Each later write is a whole number of lines, so a kill can only cut between lines; a short
 * write is finished by the next call.
 */
export function openRecordingFile(path: string, firstLine: string): OpenedRecordingFile {
  let fd: number;
  try {
    fd = openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST')
      return fail('exists', `recording file ${path} already exists; not replacing it (choose another name)`);
    return fail(
      code === 'ENOENT' ? 'no-directory' : 'cannot-create',
      `cannot create recording file ${path}: ${whyNotCreated(error)}`,
    );
  }
  try {
    writeSync(fd, firstLine);
  } catch (error) {
    closeSync(fd);
    const code = (error as NodeJS.ErrnoException).code;
    return fail('cannot-create', `cannot write recording file ${path} (${code ?? String(error)})`);
  }
  return { ok: true, sink: fileSink(fd) };
}

function fail(code: RecordingFileError['code'], message: string): OpenedRecordingFile {
  return { ok: false, error: { code, message } };
}

function fileSink(fd: number): RecordingSink {
  const writeAll = (data: Buffer, offset: number, resolve: () => void, reject: (e: Error) => void) => {
    write(fd, data, offset, data.length - offset, null, (error, written) => {
      if (error) reject(error);
      else if (offset + written < data.length) writeAll(data, offset + written, resolve, reject);
      else resolve();
    });
  };
  return {
    write: (data) => new Promise((resolve, reject) => writeAll(data, 0, resolve, reject)),
    close: () => new Promise((resolve) => close(fd, () => resolve())),
  };
}
