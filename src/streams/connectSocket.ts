import { connect, isIP, type Socket } from 'node:net';
import { connect as connectTls } from 'node:tls';
import { type ConnectError, connectError, connectTimeout, tlsError } from './connectError.ts';

// Re-exported: callers that import it from here (the client, live replay) keep working.
export { ConnectError } from './connectError.ts';

/** TLS to the hub: its certificate is checked against `ca` (else the system's CAs) and the host. */
export interface ConnectTls {
  /** PEM certificates of the CA(s) to trust, for a hub with a self-signed or private CA. */
  readonly ca?: string;
}

/**
 * Opens a TCP connection (a TLS one with `tls`, resolved once the handshake has checked the
 * hub's certificate), or fails with one line that says why and what to check.
 */
export function connectSocket(
  host: string,
  port: number,
  timeoutMs = 10_000,
  tls?: ConnectTls,
): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket =
      tls === undefined
        ? connect({ host, port, noDelay: true, keepAlive: true, keepAliveInitialDelay: 60_000 })
        : connectTls({
            host,
            port,
            // SNI takes host names only; an address is checked against the certificate's IP names.
            ...(isIP(host) === 0 ? { servername: host } : {}),
            ...(tls.ca === undefined ? {} : { ca: tls.ca }),
            minVersion: 'TLSv1.2',
          });
    const fail = (error: ConnectError) => {
      socket.destroy();
      reject(error);
    };
    const timer = setTimeout(() => fail(connectTimeout(host, port, timeoutMs)), timeoutMs);
    socket.once('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      fail(tls === undefined ? connectError(error, host, port) : tlsError(error, host, port, tls));
    });
    socket.once(tls === undefined ? 'connect' : 'secureConnect', () => {
      clearTimeout(timer);
      socket.removeAllListeners('error');
      if (tls !== undefined) {
        socket.setNoDelay(true);
        socket.setKeepAlive(true, 60_000);
      }
      resolve(socket);
    });
  });
}
