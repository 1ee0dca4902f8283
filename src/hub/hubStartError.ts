import type { RecordingFileError } from '../recording/recordingFile.ts';

/**
 * Why the hub could not start; the bin prints the message (one line that says what to check)
 * and exits 1.
 *
 * - `address-in-use`: another program (another hub?) listens on the host and port.
 * - `permission-denied`: a port below 1024 without the privilege to bind it.
 * - `no-such-address`: `--host` is an address this machine does not have.
 * - `unknown-host`: `--host` is a name that does not resolve (or not a valid address).
 * - `listen-failed`: any other refusal to listen; the message carries the system's code.
 * - `exists`, `no-directory`, `cannot-create`: the `--record` file (RecordingFileError).
 * - `tls-cert`, `tls-key`: the `--tls-cert` or `--tls-key` file cannot be used (tlsFiles.ts).
 * - `admit-file`: the `--admit` file cannot be used (AdmitFileError).
 * - `cluster`: with `--cluster`, NATS cannot be reached or the room's stream cannot be opened
 *   (ClusterError): a clustered hub does not start alone.
 */
export type HubStartErrorCode =
  | 'address-in-use'
  | 'permission-denied'
  | 'no-such-address'
  | 'unknown-host'
  | 'listen-failed'
  | 'tls-cert'
  | 'tls-key'
  | 'admit-file'
  | 'cluster'
  | RecordingFileError['code'];

export class HubStartError extends Error {
  override readonly name = 'HubStartError';

  constructor(
    readonly code: HubStartErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** A failed `listen` as a HubStartError in our words, naming the setting to check. */
export function listenError(
  error: NodeJS.ErrnoException,
  host: string,
  port: number,
  /** The settings to name: the web listener has its own. */
  flags = { host: '--host', port: '--port' },
): HubStartError {
  // An IPv6 address is shown in brackets, so that its port stands apart.
  const where = `${host.includes(':') ? `[${host}]` : host}:${port}`;
  const fail = (code: HubStartErrorCode, why: string) =>
    new HubStartError(code, `cannot listen on ${where}: ${why}`);
  switch (error.code) {
    case 'EADDRINUSE':
      return fail(
        'address-in-use',
        `the address is already in use (is another hub running? try ${flags.port})`,
      );
    case 'EACCES':
      return fail(
        'permission-denied',
        `permission denied (ports below 1024 need privileges; try ${flags.port})`,
      );
    case 'EADDRNOTAVAIL':
      return fail('no-such-address', `no such address on this machine (check ${flags.host})`);
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
    case 'EAI_FAIL':
      return fail('unknown-host', `no such host name or address (check ${flags.host})`);
    default:
      return fail(
        'listen-failed',
        `the system refused (${error.code ?? error.message}; check ${flags.host} and ${flags.port})`,
      );
  }
}
