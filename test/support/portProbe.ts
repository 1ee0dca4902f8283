import { connect } from 'node:net';

/** What a TCP connection to 127.0.0.1:port met: a listener, a refusal, or another error. */
export function probePort(port: number): Promise<'accepted' | 'refused' | 'error'> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve('accepted');
    });
    socket.once('error', (error: NodeJS.ErrnoException) =>
      resolve(error.code === 'ECONNREFUSED' ? 'refused' : 'error'),
    );
  });
}

/** Whether something accepts connections on 127.0.0.1:port. */
export const accepts = async (port: number): Promise<boolean> => (await probePort(port)) === 'accepted';

/** Whether connections to 127.0.0.1:port are refused (nothing listens there any more). */
export const refused = async (port: number): Promise<boolean> => (await probePort(port)) === 'refused';
