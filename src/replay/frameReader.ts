import { createHash } from 'node:crypto';
import { NEVER, Subject } from 'rxjs';
import { clientActor } from '../actors/clientActor.ts';
import type { LinkEvent } from '../streams/linkEvent.ts';
import type { KeyRing } from '../crypto/keyRing.ts';

/** Turns one received data frame into the lines a client would show for it. */
export type FrameReader = (frame: string, at: Date) => readonly string[];

/**
 * A reader per connection that is the client actor itself, so a transcript says exactly what
 * a client would have shown (decryption, envelope, warnings, replay refusal) at the time the
 * frame arrived: the actor's clock is the recorded time, which is what TTLs are judged by.
 */
export function clientFrameReader(ring: KeyRing, ttlSeconds: number): { read: FrameReader; close(): void } {
  let now = new Date(0);
  const lines: string[] = [];
  const link = new Subject<LinkEvent>();
  const actor = clientActor({
    ring,
    name: 'replay',
    maxFrameBytes: Number.MAX_SAFE_INTEGER,
    ttlSeconds,
    idleMs: 0,
    clock: () => now,
  });
  const subscription = actor({ typed: NEVER, link }).subscribe((output) => {
    if (output.type === 'show' || output.type === 'warn') lines.push(output.line);
  });
  link.next({ type: 'up' });
  return {
    read: (frame, at) => {
      now = at;
      lines.length = 0;
      link.next({ type: 'frame', frame });
      return [...lines];
    },
    close: () => subscription.unsubscribe(),
  };
}

/** Without a key: a short, stable name for a token, so a transcript still shows who got what. */
export const fingerprintReader: FrameReader = (frame) => [
  `token ${createHash('sha256').update(frame).digest('hex').slice(0, 12)} (${frame.length} bytes)`,
];
