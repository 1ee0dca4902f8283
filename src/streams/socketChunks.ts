import type { Socket } from 'node:net';
import { Observable } from 'rxjs';

/**
 * A socket's incoming bytes: one value per read, completes when the socket closes, errors with
 * the socket's error (ECONNRESET and the like). Unsubscribing leaves the socket open.
 */
export function socketChunks(socket: Socket): Observable<Buffer> {
  return new Observable<Buffer>((subscriber) => {
    const onData = (chunk: Buffer) => subscriber.next(chunk);
    const onError = (error: Error) => subscriber.error(error);
    const onClose = () => subscriber.complete();
    socket.on('data', onData);
    socket.on('error', onError);
    socket.on('close', onClose);
    if (socket.destroyed) subscriber.complete();
    return () => {
      socket.off('data', onData);
      socket.off('error', onError);
      socket.off('close', onClose);
    };
  });
}
