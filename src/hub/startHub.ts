import { type AddressInfo, createServer, type Server } from 'node:net';
import { finalize, map, merge, mergeMap, Subject, tap } from 'rxjs';
import { FlushScheduler } from '../actors/flushScheduler.ts';
import { hubActor } from '../actors/hubActor.ts';
import type { HubEffect, HubEvent, LogRecord, PeerId } from '../actors/hubEvent.ts';
import { PeerActor } from '../actors/peerActor.ts';
import type { HubConfig } from '../config/hubConfig.ts';
import { serverConnections } from '../streams/serverConnections.ts';

export interface RunningHub {
  readonly address: AddressInfo;
  /** Stops accepting, says `#bye <reason>` to everyone, waits for them to go (up to the grace period). */
  stop(reason?: string): Promise<void>;
  /** Drops every connection at once. */
  abort(): void;
}

export class HubStartError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'HubStartError';
  }
}

/**
 * The hub's edges around its actor: a TCP server whose connections become peer actors, their
 * events merged into the hub actor, and the actor's effects applied to the peers.
 */
export async function startHub(config: HubConfig, log: (record: LogRecord) => void): Promise<RunningHub> {
  const server = createServer({ noDelay: true });
  await listen(server, config);
  const address = server.address() as AddressInfo;
  log({ event: 'listening', host: address.address, port: address.port, framing: config.framing });

  const notices = config.framing === 'line';
  const scheduler = new FlushScheduler();
  const peers = new Map<PeerId, PeerActor>();
  const control = new Subject<HubEvent>();
  let nextId = 1;
  let onEmpty: (() => void) | undefined;

  const connections = serverConnections(server, (error: NodeJS.ErrnoException) =>
    log({ event: 'accept-error', code: error.code ?? 'error', detail: error.message }),
  ).pipe(
    map((socket) => {
      const peer = new PeerActor(nextId++, socket, { ...config, notices, scheduler });
      return peer;
    }),
  );

  const events = merge(
    control,
    connections.pipe(
      mergeMap((peer) => {
        if (peers.size >= config.maxConnections) {
          log({ event: 'refused', reason: 'hub-full', online: peers.size });
          peer.close('hub-full');
          return [];
        }
        peers.set(peer.id, peer);
        return peer.events.pipe(
          finalize(() => {
            peers.delete(peer.id);
            if (peers.size === 0) onEmpty?.();
          }),
        );
      }),
    ),
  );

  const apply = (effect: HubEffect): void => {
    switch (effect.type) {
      case 'deliver':
        for (const id of effect.to) if (id !== effect.from) peers.get(id)?.send(effect.data);
        return;
      case 'notice':
        peers.get(effect.peer)?.notice(effect.text);
        return;
      case 'close':
        peers.get(effect.peer)?.close(effect.reason);
        return;
      case 'log':
        log(effect.record);
        return;
    }
  };
  const subscription = events.pipe(hubActor({ notices }), tap(apply)).subscribe({
    error: (error: unknown) => log({ event: 'internal-error', detail: String(error) }),
  });

  let stopping: Promise<void> | undefined;
  const abort = () => {
    for (const peer of peers.values()) peer.destroy();
    subscription.unsubscribe();
    server.close();
  };
  const stop = (reason = 'shutdown') => {
    stopping ??= new Promise<void>((resolve) => {
      server.close();
      control.next({ type: 'shutdown', reason });
      const deadline = setTimeout(() => {
        log({ event: 'shutdown-timeout', remaining: peers.size });
        abort();
        resolve();
      }, config.shutdownGraceMs);
      onEmpty = () => {
        clearTimeout(deadline);
        subscription.unsubscribe();
        resolve();
      };
      if (peers.size === 0) onEmpty();
    });
    return stopping;
  };
  return { address, stop, abort };
}

function listen(server: Server, config: HubConfig): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => {
      const where = `${config.host}:${config.port}`;
      const message =
        error.code === 'EADDRINUSE'
          ? `cannot listen on ${where}: the address is already in use (is another hub running? try --port)`
          : error.code === 'EACCES'
            ? `cannot listen on ${where}: permission denied (ports below 1024 need privileges)`
            : `cannot listen on ${where}: ${error.message}`;
      reject(new HubStartError(error.code ?? 'listen-failed', message));
    };
    server.once('error', onError);
    server.listen({ host: config.host, port: config.port, backlog: config.backlog }, () => {
      server.off('error', onError);
      resolve();
    });
  });
}
