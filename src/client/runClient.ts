import { catchError, EMPTY, map, mergeMap, share } from 'rxjs';
import { clientActor } from '../actors/clientActor.ts';
import type { ClientConfig } from '../config/clientConfig.ts';
import type { KeyRing } from '../crypto/keyRing.ts';
import { ConnectError, connectSocket } from '../streams/connectSocket.ts';
import { framesOf } from '../streams/frameEvent.ts';
import { socketChunks } from '../streams/socketChunks.ts';
import { splitFrames } from '../streams/splitFrames.ts';
import { openTerminal } from '../streams/terminal.ts';

/** Frames from the hub may be larger than the hub's own default limit; this only bounds memory. */
const MAX_INCOMING_FRAME_BYTES = 1024 * 1024;

/**
 * The client's edges around its actor: the socket to the hub and the terminal. Resolves with
 * the exit status: 0 when input ended and everything was sent, 1 when the hub went away.
 */
export async function runClient(config: ClientConfig & { name: string }, ring: KeyRing): Promise<number> {
  let socket: Awaited<ReturnType<typeof connectSocket>>;
  try {
    socket = await connectSocket(config.host, config.port);
  } catch (error) {
    if (error instanceof ConnectError) {
      process.stderr.write(`fernet-chat-client: ${error.message}\n`);
      return 1;
    }
    throw error;
  }
  socket.on('error', () => {}); // reported by the frames stream
  const terminal = openTerminal(process.stdin, process.stdout, process.stderr, `${config.name}> `);

  const frames = socketChunks(socket).pipe(
    splitFrames({ maxFrameBytes: MAX_INCOMING_FRAME_BYTES, framing: config.framing }),
    mergeMap((event) => (event.kind === 'frames' ? framesOf(event) : [])),
    map((frame) => frame.toString('utf8')),
    catchError(() => EMPTY), // a reset connection ends like a closed one: reported on 'close'
    share(),
  );
  const actor = clientActor({
    ring,
    name: config.name,
    maxFrameBytes: 64 * 1024,
    ttlSeconds: config.ttlSeconds,
  });

  return new Promise<number>((resolve) => {
    let finishing = false;
    const subscription = actor({ typed: terminal.lines, frames }).subscribe({
      next: (output) => {
        switch (output.type) {
          case 'send':
            socket.write(`${output.frame}\n`);
            return;
          case 'show':
            terminal.print(output.line);
            return;
          case 'warn':
          case 'status':
            terminal.notify(output.line);
            return;
          case 'done':
            finishing = true;
            socket.end(() => {
              subscription.unsubscribe();
              terminal.close();
              socket.destroy();
              resolve(0);
            });
            return;
        }
      },
      error: (error: unknown) => {
        terminal.notify(`fernet-chat-client: ${String(error)}`);
        terminal.close();
        resolve(1);
      },
    });
    socket.once('close', () => {
      if (finishing) return;
      subscription.unsubscribe();
      terminal.notify('fernet-chat-client: the connection to the hub was lost');
      terminal.close();
      resolve(1);
    });
  });
}
