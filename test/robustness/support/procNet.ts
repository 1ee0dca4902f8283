import { readFileSync } from 'node:fs';

/** One TCP socket on 127.0.0.1 as Linux's /proc/net/tcp shows it. */
export interface TcpSocket {
  readonly local: number;
  readonly remote: number;
  /** Bytes sent and not yet acknowledged, and bytes received that the program has not read. */
  readonly txQueue: number;
  readonly rxQueue: number;
  /** The timer running: 0 none, 1 retransmit, 2 keepalive, 3 TIME_WAIT, 4 zero window probe. */
  readonly timer: number;
}

/** Every IPv4 TCP socket of this network namespace, or undefined where /proc/net/tcp is not there. */
export function tcpSockets(): TcpSocket[] | undefined {
  let text: string;
  try {
    text = readFileSync('/proc/net/tcp', 'latin1');
  } catch {
    return undefined;
  }
  return text
    .split('\n')
    .slice(1)
    .filter(Boolean)
    .map((line) => {
      const f = line.trim().split(/\s+/);
      const port = (address: string) => Number.parseInt(address.split(':')[1]!, 16);
      const [tx, rx] = f[4]!.split(':').map((hex) => Number.parseInt(hex, 16));
      return {
        local: port(f[1]!),
        remote: port(f[2]!),
        txQueue: tx!,
        rxQueue: rx!,
        timer: Number.parseInt(f[5]!.split(':')[0]!, 16),
      };
    });
}

/** The socket from `local` to `remote`, if there is one. */
export function tcpSocket(local: number, remote: number): TcpSocket | undefined {
  return tcpSockets()?.find((s) => s.local === local && s.remote === remote);
}
