import { tap } from 'rxjs';
import { clientActor } from '../actors/clientActor.ts';
import { quietWarnings } from '../actors/quietWarnings.ts';
import { type ClientConfig, hubListOf } from '../config/clientConfig.ts';
import { HUB_DEFAULTS } from '../config/hubConfig.ts';
import type { KeyRing } from '../crypto/keyRing.ts';
import { ConnectError, connectSocket } from '../streams/connectSocket.ts';
import { type HubAddress, HubLink } from '../streams/hubLink.ts';
import { fingerprint } from '../crypto/fingerprint.ts';
import { answerChallenge } from '../crypto/answerChallenge.ts';
import { openTerminal } from '../streams/terminal.ts';
import type { Signer } from '../crypto/identity.ts';
import { emptyPins, type Pin } from '../actors/pinnedNames.ts';
import { parsePinnedNames } from '../actors/pinnedNamesText.ts';
import { PinnedNamesFileError, readPinnedNamesText, savePin } from './pinnedNamesFile.ts';
import { Observable } from 'rxjs';
import { type Stats, unwatchFile, watchFile } from 'node:fs';

/** What signs our lines, or why nothing does (said once connected). */
export interface Signing {
  readonly identity?: Signer;
  readonly unsigned?: string;
}

/** The hub's default frame limit: a longer token would be refused, so it is not sent. */
const MAX_OUTGOING_FRAME_BYTES = HUB_DEFAULTS.maxFrameBytes;
/**
 * In chunk framing the seed's programs take one recv(4096) to be one message, so a token and its
 * LF must fit in 4096 bytes (about 2,700 bytes of signed text): a longer one would reach them in pieces.
 */
const MAX_SEED_FRAME_BYTES = 4096 - 1;
/** How long a hub may take to say `#hello` before the client says it is none. */
const HELLO_TIMEOUT_MS = 5_000;

/**
 * The client's edges around its actor: the link to the hub and the terminal. Resolves with the
 * exit status: 0 when input ended and everything was sent, 1 when the hub could not be reached
 * (at start, or at all with --no-reconnect) or lines were left unsent.
 */
export async function runClient(
  config: ClientConfig & { name: string; pinnedNamesFile: string },
  ring: KeyRing,
  { identity, unsigned }: Signing = {},
  /** The PEM of --tls-ca, read by the bin. */
  tlsCa?: string,
): Promise<number> {
  const tls = config.tls || tlsCa !== undefined ? (tlsCa === undefined ? {} : { ca: tlsCa }) : undefined;
  let pins: ReturnType<typeof loadPins>;
  try {
    pins = loadPins(config.pinnedNamesFile);
  } catch (error) {
    if (!(error instanceof PinnedNamesFileError)) throw error;
    process.stderr.write(`fernet-chat-client: ${error.message}\n`);
    return 2;
  }
  const hubs = hubsOf(config);
  let first: Awaited<ReturnType<typeof connectSocket>> | undefined;
  // The first hub of the list that answers; the link then goes round the list from it.
  let firstError: ConnectError | undefined;
  for (let i = 0; i < hubs.length && first === undefined; i++) {
    try {
      first = await connectSocket(hubs[i]!.host, hubs[i]!.port, undefined, tls);
      hubs.push(...hubs.splice(0, i));
    } catch (error) {
      if (!(error instanceof ConnectError)) throw error;
      firstError ??= error;
    }
  }
  if (first === undefined) {
    process.stderr.write(
      `fernet-chat-client: ${firstError!.message}${hubs.length > 1 ? ' (nor any other hub of --hub)' : ''}\n`,
    );
    return 1;
  }
  const terminal = openTerminal(process.stdin, process.stdout, process.stderr, promptFor(config.name));
  // People holding the same key see the same fingerprint: the way to check a key by voice.
  terminal.notify(`* key fingerprint ${fingerprint(ring.primary)}`);
  if (unsigned !== undefined) terminal.notify(unsigned);
  const link = new HubLink(first, {
    hubs,
    framing: config.framing,
    reconnect: config.reconnect,
    onStatus: (line) => terminal.notify(line),
    // A hub says #hello at once: a port that stays silent a few seconds is no hub, or a dead one.
    welcomeTimeoutMs: Math.min(config.pongTimeoutSeconds * 1000, HELLO_TIMEOUT_MS),
    ...(tls === undefined ? {} : { tls }),
    // Bound to the name we reach the hub by: an answer signed for it is no use at any other hub.
    answer: (challenge, host) => answerChallenge(ring, challenge, config.hubName ?? host),
  });
  const seedFraming = config.framing === 'chunk';
  const actor = clientActor({
    ring,
    name: config.name,
    maxFrameBytes: seedFraming ? MAX_SEED_FRAME_BYTES : MAX_OUTGOING_FRAME_BYTES,
    ttlSeconds: config.ttlSeconds,
    // The seed's server knows no notices: no pings in chunk framing.
    idleMs: seedFraming ? 0 : config.idleSeconds * 1000,
    pongTimeoutMs: config.pongTimeoutSeconds * 1000,
    history: config.history,
    ...(identity === undefined ? {} : { identity }),
    pins: emptyPins(pins),
  });
  /** What we wrote last: the file changing to it is our own pin, not an edit. */
  let written: string | undefined;
  const edits = pinEdits(config.pinnedNamesFile, () => written);

  return new Promise<number>((resolve) => {
    let ending = false;
    let settled = false;
    // The terminal closing sends SIGHUP, and `kill` SIGTERM, which by default kill the client
    // mid-sentence: leave as Ctrl-D does instead (a leave message, then what was queued). A
    // second one kills.
    const hangUp = () => terminal.close();
    process.once('SIGHUP', hangUp);
    process.once('SIGTERM', hangUp);
    let stopWaiting = () => {};
    const finish = (status: number) => {
      if (settled) return;
      settled = true;
      stopWaiting();
      process.off('SIGHUP', hangUp);
      process.off('SIGTERM', hangUp);
      subscription.unsubscribe();
      terminal.close();
      resolve(status);
    };
    // Without reconnecting, the link completes when the hub goes away.
    const linkEvents = link.events.pipe(
      tap({
        complete: () => {
          if (ending) return;
          terminal.notify(`fernet-chat-client: ${link.failure ?? 'the connection to the hub was lost'}`);
          finish(1);
        },
      }),
    );
    const outputs = actor({ typed: terminal.lines, link: linkEvents, pinEdits: edits }).pipe(quietWarnings());
    const subscription = outputs.subscribe({
      next: (output) => {
        switch (output.type) {
          case 'send':
            link.send(output.frame);
            return;
          case 'show':
            terminal.print(output.line, output.sender, output.earlier);
            return;
          case 'restore':
            terminal.restore(output.text);
            return;
          case 'renamed':
            terminal.setPrompt(promptFor(output.name));
            return;
          case 'pin':
            try {
              written = savePin(config.pinnedNamesFile, output.pin);
            } catch (error) {
              if (!(error instanceof PinnedNamesFileError)) throw error;
              terminal.notify(`! ${error.message}: the pin holds until the client exits`);
            }
            return;
          case 'warn':
          case 'status':
            terminal.notify(output.line);
            // Input has ended while lines wait for the hub: a second Ctrl-D leaves without them.
            if (output.kind === 'waiting') {
              stopWaiting = onSecondEof(() => {
                terminal.notify('* left without sending what was queued');
                finish(1);
              });
            }
            return;
          case 'drop':
            terminal.notify(`* ${output.reason}; dropping the connection`);
            link.drop();
            return;
          case 'done':
            ending = true;
            if (output.unsent > 0) {
              terminal.notify(
                `fernet-chat-client: ${output.unsent} line(s) not sent: the hub is unreachable`,
              );
              void link.end().then(() => finish(1));
            } else {
              void link.end().then((flushed) => {
                if (!flushed)
                  terminal.notify('fernet-chat-client: the hub did not take everything before closing');
                finish(flushed ? 0 : 1);
              });
            }
            return;
        }
      },
    });
  });
}

/**
 * Calls `leave` when the user presses Ctrl-D (or Ctrl-C) again after input has ended. On a
 * terminal readline has closed by then, so the keys are read raw; piped input has no second end.
 * Returns what stops listening.
 */
function onSecondEof(leave: () => void): () => void {
  const stdin = process.stdin;
  if (!stdin.isTTY) return () => {};
  const onData = (chunk: Buffer) => {
    if (chunk.includes(0x04) || chunk.includes(0x03)) leave();
  };
  stdin.setRawMode(true);
  stdin.on('data', onData);
  stdin.resume();
  return () => {
    stdin.off('data', onData);
    stdin.setRawMode(false);
    stdin.pause();
  };
}

/** The prompt shows whose line is being typed. */
function promptFor(name: string): string {
  return `${name}> `;
}

/** The pins of the pinned-names file; lines it cannot use are said on stderr, and left out. */
function loadPins(path: string): readonly Pin[] {
  const { pins, problems } = parsePinnedNames(readPinnedNamesText(path));
  for (const problem of problems) process.stderr.write(`fernet-chat-client: ${path}: ${problem}; left out\n`);
  return pins;
}

/**
 * The pins each time the file changes: an edit by hand (or another client's pin) takes effect
 * without a restart. Polled, as fs.watch misses a file replaced by rename on some systems.
 */
function pinEdits(path: string, ours: () => string | undefined): Observable<readonly Pin[]> {
  return new Observable<readonly Pin[]>((subscriber) => {
    const changed = (now: Stats, before: Stats) => {
      // Node calls once at the start when the file does not exist yet (both zeroed): no edit.
      if (now.mtimeMs === before.mtimeMs && now.ino === before.ino && now.size === before.size) return;
      try {
        const text = readPinnedNamesText(path);
        if (text !== ours()) subscriber.next(parsePinnedNames(text).pins);
      } catch {
        // Unreadable for a moment (being replaced): the next change brings it.
      }
    };
    watchFile(path, { interval: PIN_FILE_POLL_MS, persistent: false }, changed);
    return () => unwatchFile(path, changed);
  });
}

/** How often the pinned-names file is looked at for edits. */
const PIN_FILE_POLL_MS = 1_000;

/** The hubs to use, in order: --hub's, or --host and --port. */
function hubsOf(config: ClientConfig): HubAddress[] {
  const listed = config.hub === undefined ? undefined : hubListOf(config.hub, config.port);
  return listed ?? [{ host: config.host, port: config.port }];
}
