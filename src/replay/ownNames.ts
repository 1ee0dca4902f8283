import type { Pin } from '../actors/pinnedNames.ts';
import { verifySignature } from '../crypto/identity.ts';
import type { KeyRing } from '../crypto/keyRing.ts';
import { envelopeSchema } from '../protocol/envelope.ts';
import { checkSignature, roomOf } from '../protocol/signedEnvelope.ts';
import type { Recording } from '../recording/recording.ts';
import type { PeerId } from '../streams/hubEvent.ts';

/**
 * The names each connection signed its own frames with, and their keys. A client pins its own
 * name to its own key before anything arrives (so that someone else taking the name stands
 * out); a replay's reader, which sees only what a connection received, learns them here.
 */
export function ownNames(recording: Recording, ring: KeyRing): Map<PeerId, Pin[]> {
  const own = new Map<PeerId, Pin[]>();
  for (const { record } of recording.entries) {
    if (record.type !== 'frame') continue;
    const pin = signedPin(record.data, ring);
    if (pin === undefined) continue;
    const pins = own.get(record.peer) ?? [];
    if (!pins.some((known) => known.name === pin.name)) pins.push(pin);
    own.set(record.peer, pins);
  }
  return own;
}

function signedPin(frame: string, ring: KeyRing): Pin | undefined {
  try {
    const opened = ring.open(frame);
    const envelope = envelopeSchema.safeParse(JSON.parse(opened.plaintext.toString('utf8')));
    if (!envelope.success || envelope.data.v !== 2) return undefined;
    const signature = checkSignature(envelope.data, roomOf(opened.key), opened.issuedAt, verifySignature);
    return signature.ok ? { name: envelope.data.from, key: envelope.data.key! } : undefined;
  } catch {
    return undefined; // not ours to read: the reader says so where it is received
  }
}
