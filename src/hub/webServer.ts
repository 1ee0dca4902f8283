import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { SecureContextOptions } from 'node:tls';
import { Observable, Subject } from 'rxjs';
import { WebSocketServer } from 'ws';
import { addressKey } from '../actors/addressKey.ts';
import type { LogRecord } from '../streams/hubEvent.ts';
import { listenError } from './hubStartError.ts';
import { dropFailedHandshakes } from './tlsHandshakeErrors.ts';
import { CONTENT_SECURITY_POLICY, type PageFile } from './webPage.ts';
import { WebSocketTransport } from './webSocketTransport.ts';

/** The path that upgrades to the hub's WebSocket; every other path is the page or 404. */
export const WEB_SOCKET_PATH = '/ws';

export const WEB_LIMITS = {
  /**
   * HTTP connections not (yet) a WebSocket, at once: page loads, and upgrades whose request has
   * not arrived whole. Past it new ones are closed at once: a flood of half-open upgrades
   * holds this many sockets, never more, and no peer slot.
   */
  maxPendingConnections: 256,
  /**
   * The same from one address (an IPv4 address or an IPv6 /64), so that one cannot take them all.
   * A healthy upgrade is pending for one round trip: 32 at once is a whole office behind one NAT
   * reconnecting after a hub restart. `--unlimited` (benchmarks) lifts it to the total.
   */
  maxPendingPerAddress: 32,
  /** A request (the upgrade's included) must have arrived whole within this time. */
  requestTimeoutMs: 10_000,
  /** Longest request head; Node's default, said here on purpose. */
  maxHeaderBytes: 16 * 1024,
  /** How long a TLS handshake may take; it holds a pending slot meanwhile. */
  tlsHandshakeTimeoutMs: 10_000,
} as const;

export interface WebServerOptions {
  readonly host: string;
  readonly port: number;
  /** `ws`'s maxPayload: the hub's frame limit (a longer message closes the connection, 1009). */
  readonly maxFrameBytes: number;
  /** Origins allowed besides the page's own, from --web-origins. */
  readonly extraOrigins: readonly string[];
  /** The page's files; undefined: not built, and `/` says so. */
  readonly page?: ReadonlyMap<string, PageFile>;
  readonly log: (record: LogRecord) => void;
  /** WEB_LIMITS.maxPendingPerAddress unless given (--unlimited gives the total). */
  readonly maxPendingPerAddress?: number;
  /** The hub's --tls-cert and --tls-key, read and checked (tlsFiles.ts): https and wss then. */
  readonly tls?: SecureContextOptions;
}

export interface WebServer {
  readonly address: AddressInfo;
  /** The page's address, as the hub prints it. */
  readonly url: string;
  /** Each WebSocket accepted, as a Transport for a PeerActor; completes when the server closes. */
  readonly connections: Observable<WebSocketTransport>;
  close(): void;
}

const SECURITY_HEADERS = {
  'Content-Security-Policy': CONTENT_SECURITY_POLICY,
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cache-Control': 'no-store',
} as const;

/**
 * The hub's web edge: an HTTP server (node:http, or node:https with the hub's certificate) that
 * serves the page and upgrades WEB_SOCKET_PATH to a WebSocket whose `Origin` is the page's own or
 * one allowed by --web-origins. A request without `Origin` is no browser's and may
 * connect, as it could over TCP.
 */
export async function startWebServer(options: WebServerOptions): Promise<WebServer> {
  const httpOptions = {
    requestTimeout: WEB_LIMITS.requestTimeoutMs,
    headersTimeout: WEB_LIMITS.requestTimeoutMs,
    maxHeaderSize: WEB_LIMITS.maxHeaderBytes,
    // How often Node looks for requests past their timeout (30 s by default).
    connectionsCheckingInterval: 1_000,
  };
  const server: Server =
    options.tls === undefined
      ? createServer(httpOptions)
      : createHttpsServer({
          ...httpOptions,
          ...options.tls,
          handshakeTimeout: WEB_LIMITS.tlsHandshakeTimeoutMs,
          minVersion: 'TLSv1.2',
        });
  const scheme = options.tls === undefined ? 'http' : 'https';
  const sockets = new WebSocketServer({
    noServer: true,
    maxPayload: options.maxFrameBytes,
    perMessageDeflate: false,
    clientTracking: false,
  });
  await listen(server, options.host, options.port);
  const address = server.address() as AddressInfo;
  const origins = new Set([...ownOrigins(options.host, address.port, scheme), ...options.extraOrigins]);
  const accepted = new Subject<WebSocketTransport>();
  /**
   * HTTP connections not (yet) a WebSocket, by their remote address and port, and how many per
   * address key. By address and port, not by socket object: with TLS, what accepts is the raw
   * TCP socket and what upgrades is the TLS socket around it, which has the same two.
   */
  const pending = new Map<string, Socket>();
  const perAddress = new Map<string, number>();
  const settle = (socket: Socket) => {
    if (!pending.delete(endpointOf(socket))) return;
    const key = addressKey(socket.remoteAddress ?? '?');
    const left = (perAddress.get(key) ?? 1) - 1;
    if (left > 0) perAddress.set(key, left);
    else perAddress.delete(key);
  };

  server.on('connection', (socket: Socket) => {
    const key = addressKey(socket.remoteAddress ?? '?');
    const fromThere = perAddress.get(key) ?? 0;
    const perAddressLimit = options.maxPendingPerAddress ?? WEB_LIMITS.maxPendingPerAddress;
    if (pending.size >= WEB_LIMITS.maxPendingConnections || fromThere >= perAddressLimit) {
      options.log({ event: 'refused', reason: 'web-pending', remote: key, online: -1 });
      socket.destroy();
      return;
    }
    pending.set(endpointOf(socket), socket);
    perAddress.set(key, fromThere + 1);
    socket.once('close', () => settle(socket));
  });
  server.on('request', (request: IncomingMessage, response: ServerResponse) =>
    answer(request, response, options.page),
  );
  server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => {});
    const path = pathOf(request.url);
    if (path !== WEB_SOCKET_PATH) return refuseUpgrade(socket, 404, 'no WebSocket here: it is at /ws');
    const origin = request.headers.origin;
    if (origin !== undefined && !origins.has(origin)) {
      options.log({
        event: 'refused',
        reason: 'bad-origin',
        remote: request.socket.remoteAddress ?? '?',
        online: -1,
      });
      return refuseUpgrade(socket, 403, 'this origin may not connect (see --web-origins)');
    }
    sockets.handleUpgrade(request, socket, head, (ws) => {
      settle(request.socket);
      accepted.next(new WebSocketTransport(ws, request.socket));
    });
  });
  // Plain HTTP to the https port, a browser that does not trust the certificate, a handshake
  // past its timeout: one line, and the connection dropped (there is no way to say anything in
  // HTTP before TLS).
  dropFailedHandshakes(server, options.log);
  server.on('clientError', (_error: Error, socket: Duplex) => {
    // Node answers nothing to a malformed or timed-out request of its own accord here.
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
    else socket.destroy();
  });

  const connections = new Observable<WebSocketTransport>((subscriber) => {
    const subscription = accepted.subscribe(subscriber);
    const onClose = () => subscriber.complete();
    server.on('close', onClose);
    return () => {
      subscription.unsubscribe();
      server.off('close', onClose);
    };
  });
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    address,
    url: `${scheme}://${host}:${address.port}/`,
    connections,
    close: () => {
      server.close();
      for (const socket of pending.values()) socket.destroy();
    },
  };
}

/** Serves the page: GET and HEAD of its few paths, with the security headers; nothing else. */
function answer(
  request: IncomingMessage,
  response: ServerResponse,
  page?: ReadonlyMap<string, PageFile>,
): void {
  const plain = (status: number, text: string, headers: Record<string, string> = {}) => {
    const body = Buffer.from(`${text}\n`);
    response.writeHead(status, {
      ...SECURITY_HEADERS,
      'Content-Type': 'text/plain; charset=utf-8',
      'Content-Length': body.length,
      ...headers,
    });
    response.end(request.method === 'HEAD' ? undefined : body);
  };
  if (request.method !== 'GET' && request.method !== 'HEAD')
    return plain(405, 'only GET and HEAD are served here', { Allow: 'GET, HEAD' });
  const path = pathOf(request.url);
  if (path === WEB_SOCKET_PATH) return plain(426, 'this path is a WebSocket', { Upgrade: 'websocket' });
  if (page === undefined) return plain(503, 'the web client is not built: run npm run build');
  const file = path === undefined ? undefined : page.get(path);
  if (file === undefined) return plain(404, 'not found');
  response.writeHead(200, {
    ...SECURITY_HEADERS,
    'Content-Type': file.type,
    'Content-Length': file.body.length,
  });
  response.end(request.method === 'HEAD' ? undefined : file.body);
}

/** A request's path without its query, exactly as sent (never decoded: nothing maps it to files). */
function pathOf(url: string | undefined): string | undefined {
  if (url === undefined || !url.startsWith('/')) return undefined;
  const query = url.indexOf('?');
  return query === -1 ? url : url.slice(0, query);
}

function refuseUpgrade(socket: Duplex, status: 403 | 404, why: string): void {
  const reason = status === 403 ? 'Forbidden' : 'Not Found';
  const body = `${why}\n`;
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Type: text/plain; charset=utf-8\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
}

/** The origins the page itself has when served on `host`: on loopback, each name for it. */
export function ownOrigins(host: string, port: number, scheme: 'http' | 'https' = 'http'): string[] {
  const loopback = ['127.0.0.1', 'localhost', '::1'];
  const names = loopback.includes(host)
    ? ['127.0.0.1', 'localhost', '[::1]']
    : [host.includes(':') ? `[${host}]` : host];
  return names.map((name) => `${scheme}://${name}:${port}`);
}

function endpointOf(socket: Socket): string {
  return `${socket.remoteAddress ?? '?'} ${socket.remotePort ?? '?'}`;
}

function listen(server: Server, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) =>
      reject(listenError(error, host, port, { host: '--web-host', port: '--web-port' }));
    server.once('error', onError);
    server.listen({ host, port }, () => {
      server.off('error', onError);
      resolve();
    });
  });
}
