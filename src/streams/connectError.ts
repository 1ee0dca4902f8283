/**
 * Why a connection to the hub could not be opened; the message is one line that says what to check.
 *
 * - `refused`: nothing listens there (is the hub running?).
 * - `timeout`: no answer within the time allowed.
 * - `unknown-host`: the host name does not resolve.
 * - `unreachable`: no route to the host or its network.
 * - `connect-failed`: any other refusal; the message carries the system's code.
 * - `untrusted`: (TLS) the hub's certificate is not signed by a CA we trust.
 * - `wrong-host`: (TLS) the hub's certificate is not for the host we asked for.
 * - `bad-certificate`: (TLS) the hub's certificate has expired, or is not valid yet.
 * - `not-tls`: (TLS) what answers does not speak TLS: a plain hub, or another program.
 * - `tls-failed`: (TLS) any other handshake failure; the message carries OpenSSL's code.
 */
export type ConnectErrorCode =
  | 'refused'
  | 'timeout'
  | 'unknown-host'
  | 'unreachable'
  | 'connect-failed'
  | 'untrusted'
  | 'wrong-host'
  | 'bad-certificate'
  | 'not-tls'
  | 'tls-failed';

export class ConnectError extends Error {
  override readonly name = 'ConnectError';

  constructor(
    readonly code: ConnectErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** A failed connect as a ConnectError in our words. */
export function connectError(error: NodeJS.ErrnoException, host: string, port: number): ConnectError {
  const fail = (code: ConnectErrorCode, why: string) =>
    new ConnectError(code, `cannot connect to the hub at ${host}:${port}: ${why}`);
  switch (error.code) {
    case 'ECONNREFUSED':
      return fail('refused', 'connection refused (is the hub running? check --host and --port)');
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
    case 'EAI_FAIL':
      return fail('unknown-host', 'unknown host (check --host)');
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return fail('unreachable', 'no route to that host (check --host, and the network)');
    default:
      return fail('connect-failed', `the system refused (${error.code ?? error.message})`);
  }
}

/** No answer within `timeoutMs`. */
export function connectTimeout(host: string, port: number, timeoutMs: number): ConnectError {
  return new ConnectError(
    'timeout',
    `cannot connect to the hub at ${host}:${port}: no answer within ${timeoutMs / 1000} s`,
  );
}

/**
 * A failed TLS connect in our words: what the certificate check found, or that the other end
 * does not speak TLS; errors before the handshake are connectError's.
 */
export function tlsError(
  error: NodeJS.ErrnoException & { reason?: string },
  host: string,
  port: number,
  tls: { readonly ca?: string },
): ConnectError {
  const fail = (code: ConnectErrorCode, why: string) =>
    new ConnectError(code, `cannot connect to the hub at ${host}:${port} with TLS: ${why}`);
  switch (error.code) {
    case 'DEPTH_ZERO_SELF_SIGNED_CERT':
    case 'SELF_SIGNED_CERT_IN_CHAIN':
    case 'UNABLE_TO_VERIFY_LEAF_SIGNATURE':
    case 'UNABLE_TO_GET_ISSUER_CERT':
    case 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY':
      return fail(
        'untrusted',
        tls.ca === undefined
          ? 'its certificate is not signed by a CA this machine trusts (a self-signed hub: give its CA with --tls-ca FILE)'
          : 'its certificate is not signed by the CA in --tls-ca (is it the right CA file?)',
      );
    case 'ERR_TLS_CERT_ALTNAME_INVALID':
      return fail(
        'wrong-host',
        `its certificate is not for ${host} (${error.reason ?? error.message}; check --host)`,
      );
    case 'CERT_HAS_EXPIRED':
      return fail('bad-certificate', 'its certificate has expired');
    case 'CERT_NOT_YET_VALID':
      return fail('bad-certificate', 'its certificate is not valid yet (is this clock right?)');
    case 'ERR_SSL_WRONG_VERSION_NUMBER':
    case 'ERR_SSL_PACKET_LENGTH_TOO_LONG':
    case 'ERR_SSL_HTTP_REQUEST':
      return fail('not-tls', 'it does not speak TLS (a hub without --tls-cert? drop --tls, or check --port)');
    case 'ECONNRESET':
      return fail(
        'tls-failed',
        'it closed the connection during the TLS handshake (does it speak TLS? check --port)',
      );
    default:
      if (
        error.code?.startsWith('ERR_SSL') ||
        error.code?.startsWith('ERR_TLS') ||
        error.code?.includes('CERT')
      )
        return fail('tls-failed', `the TLS handshake failed (${error.code})`);
      return connectError(error, host, port);
  }
}
