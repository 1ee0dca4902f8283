import type { Server } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { LogRecord } from '../streams/hubEvent.ts';

/**
 * What a TLS listener (the TCP port's, the web port's) does with a connection whose handshake
 * fails: one log record (counted per address and code, as refusals are, by logRepeats) and the
 * connection dropped. Node emits `tlsClientError` for a handshake past `handshakeTimeout` but
 * leaves its socket open, so without the drop a connection that never finishes its handshake
 * (sends nothing, or half a ClientHello) would keep its place under the connection limits for
 * good, not for the 10 s the timeout promises. Found by `npm run attack` (tls-stalled-handshakes).
 */
export function dropFailedHandshakes(server: Server, log: (record: LogRecord) => void): void {
  server.on('tlsClientError', (error: NodeJS.ErrnoException, socket: TLSSocket) => {
    log({
      event: 'tls-error',
      remote: socket.remoteAddress ?? '?',
      code: error.code ?? 'error',
      detail: error.message,
    });
    socket.destroy();
  });
}
