import { connect, createServer, type Server, type Socket } from 'node:net';

/**
 * A TCP proxy on 127.0.0.1 in front of a hub, for a client whose connection a test cuts: a real
 * loss, seen by the client and the hub as a closed connection, while the others stay connected.
 * While cut, new connections are held unanswered (as a network that is down would), and go
 * through when it is restored: the client comes back at once, not after its next backoff.
 */
export class TcpProxy {
  private readonly pairs = new Set<Socket>();
  private held: Socket[] = [];
  private down = false;

  private constructor(
    private readonly server: Server,
    private targetPort: number,
    readonly port: number,
  ) {
    server.on('connection', (socket) => {
      socket.on('error', () => {});
      if (this.down) this.held.push(socket);
      else this.forward(socket);
    });
  }

  static async open(targetPort: number): Promise<TcpProxy> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return new TcpProxy(server, targetPort, (server.address() as { port: number }).port);
  }

  /** Closes every connection through the proxy, and holds new ones until restore(). */
  cut(): void {
    this.down = true;
    for (const socket of this.pairs) socket.destroy();
  }

  restore(): void {
    this.down = false;
    for (const socket of this.held.splice(0)) if (!socket.destroyed) this.forward(socket);
  }

  /** From now on, connections go to another hub (one already started: no wait on its start). */
  retarget(targetPort: number): void {
    this.targetPort = targetPort;
  }

  async close(): Promise<void> {
    this.cut();
    for (const socket of this.held.splice(0)) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private forward(client: Socket): void {
    const hub = connect(this.targetPort, '127.0.0.1');
    hub.on('error', () => {});
    for (const [from, to] of [
      [client, hub],
      [hub, client],
    ] as const) {
      this.pairs.add(from);
      from.pipe(to);
      // Either side closing closes the other: the loss is seen at both ends.
      from.once('close', () => {
        this.pairs.delete(from);
        to.destroy();
      });
    }
  }
}
