import { connect, type Socket } from 'node:net';
import { connect as connectTls } from 'node:tls';
import { eventually } from './eventually.ts';

/** A bare TCP connection to the hub that keeps every byte it receives. */
export class RawSocket {
  private readonly chunks: Buffer[] = [];
  closed = false;

  private constructor(readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => this.chunks.push(chunk));
    socket.on('close', () => {
      this.closed = true;
    });
    socket.on('error', () => {});
  }

  /** `allowHalfOpen`: keep our side open when the hub ends its side (a peer that lingers). */
  static open(
    port: number,
    host = '127.0.0.1',
    options: { allowHalfOpen?: boolean } = {},
  ): Promise<RawSocket> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host, port, allowHalfOpen: options.allowHalfOpen ?? false });
      socket.once('error', reject);
      socket.once('connect', () => {
        socket.off('error', reject);
        resolve(new RawSocket(socket));
      });
    });
  }

  /** The same over TLS, trusting `ca` and checking the certificate is for `host`. */
  static openTls(port: number, ca: string, host = '127.0.0.1'): Promise<RawSocket> {
    return new Promise((resolve, reject) => {
      const socket = connectTls({ host, port, ca });
      socket.once('error', reject);
      socket.once('secureConnect', () => {
        socket.off('error', reject);
        resolve(new RawSocket(socket));
      });
    });
  }

  get received(): Buffer {
    return Buffer.concat(this.chunks);
  }

  /** What was received, as LF-ended lines (an unfinished last line is left out). */
  lines(): string[] {
    const text = this.received.toString('latin1');
    return text.split('\n').slice(0, -1);
  }

  async waitForLine(match: string | RegExp, timeoutMs = 5_000): Promise<string> {
    const test = (line: string) => (typeof match === 'string' ? line.includes(match) : match.test(line));
    return eventually(
      () => this.lines().find(test),
      () => `a raw socket to receive ${match}; got ${JSON.stringify(this.lines())}`,
      timeoutMs,
    );
  }

  async waitForLines(count: number, match: (line: string) => boolean, timeoutMs = 5_000): Promise<string[]> {
    return eventually(
      () => {
        const found = this.lines().filter(match);
        return found.length >= count ? found : undefined;
      },
      () => `a raw socket to receive ${count} matching lines; got ${JSON.stringify(this.lines())}`,
      timeoutMs,
    );
  }

  write(data: string | Buffer): Promise<void> {
    return new Promise((resolve, reject) =>
      this.socket.write(data, (error) => (error ? reject(error) : resolve())),
    );
  }

  destroy(): void {
    this.socket.destroy();
  }
}
