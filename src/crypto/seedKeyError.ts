/**
 * Why the seed program's `chave.key` (a pickled `cryptography.fernet.Fernet`) could not be imported.
 *
 * - `not-a-pickle`: empty, too large, not a protocol 2–5 pickle, corrupt structure, or bytes after STOP.
 * - `unsupported-opcode`: a pickle opcode that a pickled Fernet never contains (this is also how
 *   INST, OBJ, EXT*, PERSID and the other code-loading opcodes are refused).
 * - `forbidden-global`: the pickle names any class or function other than `cryptography.fernet.Fernet`
 *   (and `_codecs.encode`, which protocol 2 uses to spell bytes).
 * - `truncated`: the data ends before the pickle does.
 * - `bad-state`: a well-formed pickle whose object is not a Fernet with two 16-byte keys.
 */
export type SeedKeyErrorCode =
  'not-a-pickle' | 'unsupported-opcode' | 'forbidden-global' | 'truncated' | 'bad-state';

export class SeedKeyError extends Error {
  override readonly name = 'SeedKeyError';
  readonly code: SeedKeyErrorCode;
  /** Byte offset in the file where the problem was found, when there is one. */
  readonly offset: number | undefined;

  constructor(code: SeedKeyErrorCode, message: string, offset?: number) {
    super(message);
    this.code = code;
    this.offset = offset;
  }
}
