import { readFileSync } from 'node:fs';
import { type AddressInfo, connect, type Socket } from 'node:net';
import { createServer, type Server } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientHello } from '../../src/bench/testCerts.ts';
import { dropFailedHandshakes } from '../../src/hub/tlsHandshakeErrors.ts';
import type { LogRecord } from '../../src/streams/hubEvent.ts';
import { tempDir } from '../support/testKey.ts';
import { type TestCerts, testCertsOrSkip } from '../support/tlsCerts.ts';

// Node reports a handshake past `handshakeTimeout` as `tlsClientError` and leaves the socket open:
// the hub's listeners must drop it, or it keeps its connection slot for good.

let cleanup: () => void;
let certs: TestCerts | undefined;
beforeAll(() => {
  let dir: string;
  ({ dir, cleanup } = tempDir('fernet-chat-tls-handshake-'));
  certs = testCertsOrSkip(dir);
});
afterAll(() => cleanup());

const TIMEOUT_MS = 300;

function listening(server: Server): Promise<number> {
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)),
  );
}

function closedWithin(socket: Socket, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    socket.once('close', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

describe('dropFailedHandshakes', () => {
  it('drops connections that send nothing or half a ClientHello once the handshake times out, and logs them', async (context) => {
    if (certs === undefined) return context.skip();
    const server = createServer({
      cert: readFileSync(certs.hubCert),
      key: readFileSync(certs.hubKey),
      handshakeTimeout: TIMEOUT_MS,
    });
    const records: LogRecord[] = [];
    dropFailedHandshakes(server, (record) => records.push(record));
    const port = await listening(server);
    try {
      const hello = await clientHello();
      const silent = connect({ host: '127.0.0.1', port });
      const half = connect({ host: '127.0.0.1', port });
      half.write(hello.subarray(0, hello.length >> 1));
      for (const socket of [silent, half]) socket.on('error', () => {});
      const started = performance.now();
      const closed = await Promise.all([silent, half].map((socket) => closedWithin(socket, 10 * TIMEOUT_MS)));
      expect(closed).toEqual([true, true]);
      expect(performance.now() - started).toBeGreaterThanOrEqual(TIMEOUT_MS * 0.9);
      expect(records).toHaveLength(2);
      expect(records.map((record) => record.event)).toEqual(['tls-error', 'tls-error']);
      expect(records.map((record) => ('code' in record ? record.code : ''))).toEqual([
        'ERR_TLS_HANDSHAKE_TIMEOUT',
        'ERR_TLS_HANDSHAKE_TIMEOUT',
      ]);
    } finally {
      server.close();
    }
  });
});
