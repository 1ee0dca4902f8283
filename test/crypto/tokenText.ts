// Token text <-> bytes for tests, written independently of src/crypto/base64url.ts.
export function tokenBytes(token: string): Buffer {
  return Buffer.from(token, 'base64url');
}

export function tokenText(bytes: Buffer): string {
  return bytes.toString('base64').replaceAll('+', '-').replaceAll('/', '_');
}
