export type FernetErrorCode = 'bad-key' | 'bad-token' | 'bad-signature' | 'expired' | 'future';

/** Every failure of the codec on bad input (a bad key, a bad or unauthentic token) is a FernetError. */
export class FernetError extends Error {
  override readonly name = 'FernetError';

  constructor(
    readonly code: FernetErrorCode,
    message: string,
  ) {
    super(message);
  }
}
