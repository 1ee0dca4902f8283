import { connect, type Socket } from 'node:net';
import { type ConnectError, connectError, connectTimeout } from './connectError.ts';

// Re-exported: callers that import it from here (the client, live replay) keep working.
export { ConnectError } from './connectError.ts';

/** Opens a TCP connection, or fails with one line that says why and what to check. */
export function connectSocket(host: string, port: number, timeoutMs = 10_000): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port, noDelay: true, keepAlive: true, keepAliveInitialDelay: 60_000 });
    const fail = (error: ConnectError) => {
      socket.destroy();
      reject(error);
    };
    const timer = setTimeout(() => fail(connectTimeout(host, port, timeoutMs)), timeoutMs);
    socket.once('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      fail(connectError(error, host, port));
    });
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.removeAllListeners('error');
      resolve(socket);
    });
  });
}
