/**
 * Why a connection to the hub could not be opened; the message is one line that says what to check.
 *
 * - `refused`: nothing listens there (is the hub running?).
 * - `timeout`: no answer within the time allowed.
 * - `unknown-host`: the host name does not resolve.
 * - `unreachable`: no route to the host or its network.
 * - `connect-failed`: any other refusal; the message carries the system's code.
 */
export type ConnectErrorCode = 'refused' | 'timeout' | 'unknown-host' | 'unreachable' | 'connect-failed';

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
