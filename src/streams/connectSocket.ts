import { connect, type Socket } from 'node:net';

export class ConnectError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'ConnectError';
  }
}

/** Opens a TCP connection, or fails with one line that says why and what to check. */
export function connectSocket(host: string, port: number, timeoutMs = 10_000): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port, noDelay: true, keepAlive: true, keepAliveInitialDelay: 60_000 });
    const fail = (code: string, why: string) => {
      socket.destroy();
      reject(new ConnectError(code, `cannot connect to the hub at ${host}:${port}: ${why}`));
    };
    const timer = setTimeout(() => fail('ETIMEDOUT', `no answer within ${timeoutMs / 1000} s`), timeoutMs);
    socket.once('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      const code = error.code ?? 'error';
      if (code === 'ECONNREFUSED')
        fail(code, 'connection refused (is the hub running? check --host and --port)');
      else if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') fail(code, 'unknown host');
      else fail(code, error.message);
    });
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.removeAllListeners('error');
      resolve(socket);
    });
  });
}
