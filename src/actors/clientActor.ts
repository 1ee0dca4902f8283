import { randomUUID } from 'node:crypto';
import { concat, defer, EMPTY, merge, mergeMap, type Observable, of } from 'rxjs';
import { FernetError } from '../crypto/fernetError.ts';
import type { KeyRing } from '../crypto/keyRing.ts';
import { type Envelope, type EnvelopeKind, envelopeSchema } from '../protocol/envelope.ts';
import { notice, parseNotice } from '../protocol/notice.ts';
import type { ClientOutput } from './clientOutput.ts';
import { displayText } from './displayText.ts';

export interface ClientActorOptions {
  readonly ring: KeyRing;
  readonly name: string;
  /** Tokens longer than this are not sent (the hub would refuse them). */
  readonly maxFrameBytes: number;
  /** Oldest token accepted, in seconds; 0 accepts any age. */
  readonly ttlSeconds: number;
  readonly clock?: () => Date;
  readonly newId?: () => string;
}

export interface ClientInputs {
  /** What the user typed, one line each; completes at end of input. */
  readonly typed: Observable<string>;
  /** Frames from the hub, LF removed. */
  readonly frames: Observable<string>;
}

/**
 * The client, without socket or terminal: typed line → envelope → token to send, and frame →
 * token → envelope → line to show. Announces itself on start and says leave when input ends.
 */
export function clientActor(options: ClientActorOptions): (inputs: ClientInputs) => Observable<ClientOutput> {
  const clock = options.clock ?? (() => new Date());
  const newId = options.newId ?? randomUUID;

  const seal = (kind: EnvelopeKind, text: string): ClientOutput => {
    const envelope: Envelope = {
      v: 1,
      kind,
      from: options.name,
      text,
      id: newId(),
      at: clock().toISOString(),
    };
    const frame = options.ring.encrypt(JSON.stringify(envelope), {
      now: Math.floor(clock().getTime() / 1000),
    });
    if (frame.length > options.maxFrameBytes) {
      return { type: 'warn', line: `! not sent: message too long (${Buffer.byteLength(text)} bytes)` };
    }
    return { type: 'send', frame };
  };

  const receive = (frame: string): Observable<ClientOutput> => {
    if (frame.startsWith('#')) return onNotice(frame);
    return of(openToken(frame));
  };

  const openToken = (frame: string): ClientOutput => {
    let plaintext: Buffer;
    try {
      plaintext = options.ring.open(frame, {
        ttlSeconds: options.ttlSeconds > 0 ? options.ttlSeconds : undefined,
        now: () => Math.floor(clock().getTime() / 1000),
      }).plaintext;
    } catch (error) {
      if (error instanceof FernetError)
        return { type: 'warn', line: `! unreadable message: ${whyUnreadable(error)}` };
      throw error;
    }
    return showPlaintext(plaintext);
  };

  const onNotice = (frame: string): Observable<ClientOutput> => {
    const parsed = parseNotice(frame);
    switch (parsed.kind) {
      case 'hello':
        return of({ type: 'status', line: `* connected as #${parsed.peer}, ${parsed.online} online` });
      case 'ping':
        return of({ type: 'send', frame: notice.pong() });
      case 'error':
        return of({
          type: 'warn',
          line: `! hub: ${displayText(parsed.detail)} (${displayText(parsed.code)})`,
        });
      case 'bye':
        return of({
          type: 'status',
          line: `* the hub is closing the connection: ${displayText(parsed.reason)}`,
        });
      default:
        return EMPTY;
    }
  };

  return ({ typed, frames }) =>
    merge(
      concat(
        defer(() => of(seal('join', ''))),
        typed.pipe(mergeMap((line) => (line.trim() === '' ? EMPTY : of(seal('message', line))))),
        defer(() => of(seal('leave', ''), { type: 'done' } as const)),
      ),
      frames.pipe(mergeMap(receive)),
    );
}

function showPlaintext(plaintext: Buffer): ClientOutput {
  const text = plaintext.toString('utf8');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    // Not JSON: bare text, as the seed's clients send it.
    return { type: 'show', line: `?: ${displayText(text)}` };
  }
  if (json === null || typeof json !== 'object' || !('v' in json)) {
    return { type: 'show', line: `?: ${displayText(text)}` };
  }
  const envelope = envelopeSchema.safeParse(json);
  if (!envelope.success) {
    const problem = envelope.error.issues[0];
    return {
      type: 'warn',
      line: `! malformed message: ${problem?.path.join('.') || 'envelope'}: ${problem?.message}`,
    };
  }
  const { kind, from, text: said } = envelope.data;
  const who = displayText(from);
  if (kind === 'join') return { type: 'show', line: `* ${who} joined` };
  if (kind === 'leave') return { type: 'show', line: `* ${who} left` };
  return { type: 'show', line: `${who}: ${displayText(said)}` };
}

function whyUnreadable(error: FernetError): string {
  switch (error.code) {
    case 'bad-signature':
      return 'not encrypted with any of our keys, or tampered with';
    case 'expired':
      return 'too old (older than the TTL)';
    case 'future':
      return 'dated in the future (clock skew over 60 s)';
    default:
      return `not a valid token (${error.message})`;
  }
}
