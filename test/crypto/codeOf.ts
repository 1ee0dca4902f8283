import { FernetError, type FernetErrorCode } from '../../src/crypto/index.ts';

/** The code of the FernetError that action throws, or 'no error'. Any other exception propagates. */
export function codeOf(action: () => unknown): FernetErrorCode | 'no error' {
  try {
    action();
  } catch (error) {
    if (error instanceof FernetError) return error.code;
    throw error;
  }
  return 'no error';
}
