const ALPHABET = /^[A-Za-z0-9_-]*={0,2}$/;

/** base64url with '=' padding, as Python's base64.urlsafe_b64encode writes it. */
export function encodeBase64Url(bytes: Buffer): string {
  const text = bytes.toString('base64url');
  return text + '='.repeat((4 - (text.length % 4)) % 4);
}

/**
 * Strict base64url decoding: only the base64url alphabet, '=' padding to a multiple of 4, and the
 * canonical encoding (zero unused bits). Returns undefined for anything else.
 * Node's and Python's decoders both skip stray characters instead; we want one text per token.
 */
export function decodeBase64Url(text: string): Buffer | undefined {
  if (!ALPHABET.test(text)) return undefined;
  const bytes = Buffer.from(text, 'base64url');
  return encodeBase64Url(bytes) === text ? bytes : undefined;
}
