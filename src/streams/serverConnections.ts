import type { Server, Socket } from 'node:net';
import { Observable } from 'rxjs';

/**
 * A listening server's accepted connections. Errors after listening (EMFILE when out of file
 * descriptors, say) are passed to `onError` and do not end the stream: the hub keeps accepting.
 */
export function serverConnections(server: Server, onError: (error: Error) => void): Observable<Socket> {
  return new Observable<Socket>((subscriber) => {
    const onConnection = (socket: Socket) => subscriber.next(socket);
    const onClose = () => subscriber.complete();
    server.on('connection', onConnection);
    server.on('error', onError);
    server.on('close', onClose);
    return () => {
      server.off('connection', onConnection);
      server.off('error', onError);
      server.off('close', onClose);
    };
  });
}
