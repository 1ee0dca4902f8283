/** Shared pieces of the adversary suite: rows, time, and attacker sockets that are always cleaned up. */
import { connect, type Socket } from 'node:net';
import { connect as connectTls, type TLSSocket } from 'node:tls';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const MIB = 1024 * 1024;

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** One line of the table. Figures a row does not have are undefined and print as "-". */
export interface Row {
  name: string;
  rssPeakMiB?: number;
  rssAfterMiB?: number;
  cpuPercent?: number;
  p50?: number;
  p99?: number;
  max?: number;
  lost?: number;
  relayed?: number;
  result: 'PASS' | 'FAIL' | 'SKIP';
  /** Why it failed or was skipped, and figures of its own. */
  note: string;
}

/** The attacker addresses: 127.0.0.2 to 127.0.0.9, so that the pair (127.0.0.1) is never refused. */
/** The attackers' addresses: 127.0.0.2 to 127.0.0.9. */
export const ATTACKER_ADDRESSES = 8;

export function attackerAddress(i: number): string {
  return `127.0.0.${2 + (i % ATTACKER_ADDRESSES)}`;
}

/**
 * Every socket an attack opens, so the harness can destroy them all when the attack ends, throws
 * or times out.
 */
export class Sockets {
  private readonly open = new Set<Socket>();
  opened = 0;
  /** Connections that failed (refused, reset, EMFILE): counted, never thrown. */
  errors = 0;

  connect(port: number, localAddress: string, host = '127.0.0.1'): Socket {
    return this.track(connect({ host, port, localAddress }));
  }

  /** A TLS connection that trusts `ca` (PEM); it checks the hub's certificate is for `host`. */
  connectTls(port: number, localAddress: string, ca: string, host = '127.0.0.1'): TLSSocket {
    const tcp = connect({ host, port, localAddress });
    tcp.on('error', () => {}); // counted on the TLS socket, which sees it too
    return this.track(connectTls({ socket: tcp, host, ca }));
  }

  private track<S extends Socket>(socket: S): S {
    this.opened++;
    this.open.add(socket);
    socket.on('error', () => {
      this.errors++;
    });
    socket.on('close', () => this.open.delete(socket));
    return socket;
  }

  /**
   * Resolves once connected (a TLS socket: once its handshake is done); rejects on error, or after
   * 5 s (a full accept backlog); the socket is still tracked and destroyed later.
   */
  connected(socket: Socket): Promise<void> {
    const tls = 'encrypted' in socket;
    return new Promise((resolve, reject) => {
      if (tls ? (socket as TLSSocket).authorized : !socket.connecting && socket.remotePort !== undefined)
        return resolve();
      const timer = setTimeout(() => reject(new Error('connect timed out')), 5_000);
      socket.once(tls ? 'secureConnect' : 'connect', () => {
        clearTimeout(timer);
        resolve();
      });
      socket.once('error', (error) => {
        clearTimeout(timer);
        reject(error);
      });
    });
  }

  get size(): number {
    return this.open.size;
  }

  destroyAll(): void {
    for (const socket of this.open) socket.destroy();
    this.open.clear();
  }
}

/**
 * Resolves true once `socket` has written `data`, false if it failed, closed, or `stopped()` turned
 * true first: a hub that stops reading (flood control) must not hold an attack past its time.
 */
export function writeAndWait(
  socket: Socket,
  data: Buffer | string,
  stopped?: () => boolean,
): Promise<boolean> {
  return new Promise((resolve) => {
    if (socket.destroyed) return resolve(false);
    let timer: NodeJS.Timeout | undefined;
    const done = (ok: boolean) => {
      clearInterval(timer);
      socket.off('close', onClose);
      resolve(ok);
    };
    const onClose = () => done(false);
    socket.once('close', onClose);
    if (stopped)
      timer = setInterval(() => {
        if (stopped()) done(false);
      }, 50);
    socket.write(data, (error) => done(!error));
  });
}

/** Runs `work` over `count` items with at most `concurrency` at once, stopping when `until()` says so. */
export async function pool(
  count: number,
  concurrency: number,
  until: () => boolean,
  work: (i: number) => Promise<void>,
): Promise<number> {
  let next = 0;
  let done = 0;
  const lane = async () => {
    while (next < count && !until()) {
      const i = next++;
      try {
        await work(i);
      } catch {
        // a failed connection is counted by Sockets; the attack goes on
      }
      done++;
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, lane));
  return done;
}

export function fmt(value: number | undefined, digits = 0): string {
  return value === undefined || !Number.isFinite(value) ? '-' : value.toFixed(digits);
}
