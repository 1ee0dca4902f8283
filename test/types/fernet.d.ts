// Just the part of the `fernet` npm package (CommonJS, no typings) that the interop tests use.
declare module 'fernet' {
  interface Secret {
    readonly signingKeyHex: string;
    readonly encryptionKeyHex: string;
  }
  interface TokenOptions {
    secret?: Secret;
    token?: string;
    /** Seconds; 0 turns off its time checks. */
    ttl?: number;
  }
  interface Token {
    encode(message: string): string;
    decode(token?: string): string;
  }
  const fernet: {
    Secret: new (secret64: string) => Secret;
    Token: new (options?: TokenOptions) => Token;
  };
  export default fernet;
}
