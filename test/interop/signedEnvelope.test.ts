import { describe, expect } from 'vitest';
import { encrypt, open } from '../../src/crypto/fernet.ts';
import { FernetKey } from '../../src/crypto/fernetKey.ts';
import { Identity, verifySignature } from '../../src/crypto/identity.ts';
import { type Envelope, envelopeSchema } from '../../src/protocol/envelope.ts';
import { checkSignature, roomOf, signEnvelope } from '../../src/protocol/signedEnvelope.ts';
import { OTHER_KEY, TEST_KEY, testId } from '../support/testKey.ts';
import { itWithPython, runPythonScript } from './python.ts';

const key = FernetKey.parse(TEST_KEY);
const at = new Date().toISOString();

/** Envelopes that use every signed field, and UTF-8 beyond ASCII. */
const ENVELOPES: readonly Envelope[] = [
  { v: 1, kind: 'message', from: 'alice', text: 'hi', id: testId(1), at },
  {
    v: 1,
    kind: 'message',
    from: 'Zoë 🎉',
    text: 'olá, ünïcödé\nand "quotes"',
    id: testId(2),
    at,
    peer: 12,
    action: true,
  },
  { v: 1, kind: 'join', from: 'robert', text: '', id: testId(3), at, peer: 0, was: 'bob' },
  { v: 1, kind: 'join', from: '山田', text: '', id: testId(4), at, here: true },
  { v: 1, kind: 'leave', from: 'a b', text: '', id: testId(5), at },
];

const tokenOf = (envelope: Envelope, with_ = key) =>
  encrypt(with_, JSON.stringify(envelope), { now: Math.floor(Date.now() / 1000) });

async function python(requests: readonly object[]): Promise<Record<string, unknown>[]> {
  const out = await runPythonScript('signed_envelope.py', requests.map((r) => JSON.stringify(r)).join('\n'));
  return out
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

describe("signed envelopes against Python's cryptography (Ed25519, built from docs/protocol.md)", () => {
  itWithPython(
    'Python verifies what we sign, and refuses it tampered with or moved to another room',
    async () => {
      const identity = Identity.generate();
      const signed = ENVELOPES.map((envelope) => signEnvelope(envelope, roomOf(key), identity));
      const answers = await python([
        ...signed.map((envelope) => ({ op: 'verify', chatKey: TEST_KEY, token: tokenOf(envelope) })),
        // The text changed after signing.
        { op: 'verify', chatKey: TEST_KEY, token: tokenOf({ ...signed[0]!, text: 'pay mallory' }) },
        // Signed for this room, then put into a token of another key: another room.
        { op: 'verify', chatKey: OTHER_KEY, token: tokenOf(signed[0]!, FernetKey.parse(OTHER_KEY)) },
      ]);
      expect(answers.map((answer) => answer.ok)).toEqual([true, true, true, true, true, false, false]);
    },
  );

  itWithPython('we verify what Python signs, and sign the very same bytes', async () => {
    const seed = Buffer.from([...Array(32).keys()]);
    const ours = Identity.fromSeed(seed)!;
    const answers = await python(
      ENVELOPES.map((envelope) => ({ op: 'sign', chatKey: TEST_KEY, seed: seed.toString('hex'), envelope })),
    );
    for (const [index, answer] of answers.entries()) {
      const opened = open(key, answer.token as string);
      const envelope = envelopeSchema.parse(JSON.parse(opened.plaintext.toString('utf8')));
      expect(envelope.key).toBe(ours.publicKey.toString('base64url'));
      expect(checkSignature(envelope, roomOf(key), opened.issuedAt, verifySignature)).toEqual({
        ok: true,
        key: ours.publicKey,
      });
      // Ed25519 is deterministic: the same key over the same bytes gives the same signature.
      expect(signEnvelope(ENVELOPES[index]!, roomOf(key), ours).sig).toBe(envelope.sig);
    }
  });
});
