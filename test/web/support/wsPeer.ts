import WebSocket from 'ws';
import { eventually } from '../../support/eventually.ts';
import { FrameTally } from '../../robustness/support/receiver.ts';

/** A WebSocket client of the hub (the `ws` package, as a browser would be), tallying what it gets. */
export class WsPeer extends FrameTally {
  closed: { code: number; reason: string } | undefined;
  /** Every message, as it came: to check that one message is one frame (no LF inside). */
  readonly messages: string[] = [];

  private constructor(readonly ws: WebSocket) {
    super();
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      const text = data.toString('utf8');
      this.messages.push(isBinary ? `(binary) ${text}` : text);
      this.take(`${text}\n`);
    });
    ws.on('close', (code: number, reason: Buffer) => {
      this.closed = { code, reason: reason.toString() };
    });
    ws.on('error', () => {});
  }

  /** Opens a WebSocket to `url`, resolving once open (or rejecting with the HTTP status). */
  static open(
    url: string,
    options: { origin?: string; localAddress?: string; ca?: string } = {},
  ): Promise<WsPeer> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, {
        ...(options.ca === undefined ? {} : { ca: options.ca }),
        ...(options.origin === undefined ? {} : { origin: options.origin }),
        ...(options.localAddress === undefined ? {} : { localAddress: options.localAddress }),
      });
      const peer = new WsPeer(ws);
      ws.once('open', () => resolve(peer));
      ws.once('unexpected-response', (_request, response) =>
        reject(new Error(`HTTP ${response.statusCode}`)),
      );
      ws.once('error', reject);
    });
  }

  async waitForNotice(match: string | RegExp, timeoutMs = 5_000): Promise<string> {
    const test = (n: string) => (typeof match === 'string' ? n.startsWith(match) : match.test(n));
    return eventually(
      () => this.notices.find(test),
      () => `notice ${String(match)}; have ${JSON.stringify(this.notices)}`,
      timeoutMs,
    );
  }

  async waitForCount(sender: number, count: number, timeoutMs = 10_000): Promise<void> {
    await eventually(
      () => this.countFrom(sender) >= count,
      () => `${count} from ${sender}; have ${this.countFrom(sender)}`,
      timeoutMs,
    );
  }

  async waitForClose(timeoutMs = 5_000): Promise<{ code: number; reason: string }> {
    return eventually(() => this.closed, 'the WebSocket to close', timeoutMs);
  }

  send(text: string | Buffer, binary = false): void {
    this.ws.send(text, { binary });
  }
}
