import type { Server, Socket } from 'node:net';
import { Observable } from 'rxjs';

/**
 * A listening server's accepted connections. Errors after listening (EMFILE when out of file
 * descriptors, say) are passed to `onError` and do not end the stream: the hub keeps accepting.
 * A TLS server's connections are its `secureConnection`s: a connection counts once its
 * handshake is done.
 */
export function serverConnections(
  server: Server,
  onError: (error: Error) => void,
  event: 'connection' | 'secureConnection' = 'connection',
): Observable<Socket> {
  return new Observable<Socket>((subscriber) => {
    const onConnection = (socket: Socket) => subscriber.next(socket);
    const onClose = () => subscriber.complete();
    server.on(event, onConnection);
    server.on('error', onError);
    server.on('close', onClose);
    return () => {
      server.off(event, onConnection);
      server.off('error', onError);
      server.off('close', onClose);
    };
  });
}
