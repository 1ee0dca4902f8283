import type { Server, Socket } from 'node:net';
import { addressKey } from '../actors/addressKey.ts';
import type { LogRecord } from '../streams/hubEvent.ts';

/**
 * The connection limits for a TLS hub's raw TCP connections. Its peers are counted once their
 * handshake is done, so without this a client could hold any number of sockets in handshakes
 * that never finish (10 s each). Counted per address key (an IPv6 /64 is one) and in all, from
 * accept to close: a connection past either limit is dropped at once, before TLS (there is no
 * way to say `#bye` to it yet), and logged as a refused connection is.
 */
export function limitRawConnections(
  server: Server,
  limits: { readonly maxConnections: number; readonly maxConnectionsPerAddress: number },
  onRefused: (record: LogRecord) => void,
): void {
  const perAddress = new Map<string, number>();
  let total = 0;
  server.on('connection', (socket: Socket) => {
    const key = addressKey(socket.remoteAddress ?? '?');
    const here = perAddress.get(key) ?? 0;
    const reason =
      total >= limits.maxConnections
        ? 'hub-full'
        : here >= limits.maxConnectionsPerAddress
          ? 'too-many-connections'
          : undefined;
    if (reason !== undefined) {
      onRefused({ event: 'refused', reason, remote: key, online: total });
      socket.destroy();
      return;
    }
    total++;
    perAddress.set(key, here + 1);
    socket.once('close', () => {
      total--;
      const left = (perAddress.get(key) ?? 1) - 1;
      if (left > 0) perAddress.set(key, left);
      else perAddress.delete(key);
    });
  });
}
