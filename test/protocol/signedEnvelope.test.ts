import { describe, expect, it } from 'vitest';
import { FernetKey } from '../../src/crypto/fernetKey.ts';
import { ed25519Verifier, Identity, verifySignature } from '../../src/crypto/identity.ts';
import type { Envelope } from '../../src/protocol/envelope.ts';
import { checkSignature, roomOf, signedBytes, signEnvelope } from '../../src/protocol/signedEnvelope.ts';
import { FIXED_SECONDS, FIXED_TIME, OTHER_KEY, TEST_KEY, testId } from '../support/testKey.ts';

const key = FernetKey.parse(TEST_KEY);
const seed = Buffer.from([...Array(32).keys()]);
const identity = Identity.fromSeed(seed)!;
const plain: Envelope = {
  v: 1,
  kind: 'message',
  from: 'alice',
  text: 'hi',
  id: testId(1),
  at: FIXED_TIME.toISOString(),
  peer: 3,
};
const check = (envelope: Envelope, room = roomOf(key), issuedAt = FIXED_SECONDS) =>
  checkSignature(envelope, room, issuedAt, verifySignature);

describe('signed envelopes', () => {
  it('match the test vector of docs/protocol.md', () => {
    expect(roomOf(key).toString('hex')).toBe(
      '8df62a9acfe479ee91ab4b0488033afb71bad3028d4fda445a2bf42ab9830666',
    );
    const signed = signEnvelope(plain, roomOf(key), identity);
    expect(signed.key).toBe('A6EHv_POEL4dcN0Y50vAmWfk1jCbpQ1fHdyGZBJVMbg');
    expect(signed.sig).toBe(
      '3iCTsbZN7p6n9it6DJEuLVzzhfKp-isktRbGFuR98A2YiCpwxY5vh02wCPdr09TFsJdVLc8mHFmlu6J2dKuRCw',
    );
    expect(signedBytes(roomOf(key), signed).toString('hex')).toBe(
      '6665726e65742d63686174207369676e656420656e76656c6f70652076320a' +
        '8df62a9acfe479ee91ab4b0488033afb71bad3028d4fda445a2bf42ab9830666' +
        '000000076d657373616765' +
        '00000005616c696365' +
        '000000026869' +
        '0000002430303030303030302d303030302d343030302d383030302d303030303030303030303031' +
        '00000018323032362d31312d32335431303a30303a30302e3030305a' +
        '0000000133' +
        '00000000' +
        '00000000' +
        '00000000',
    );
    expect(check(signed)).toEqual({ ok: true, key: identity.publicKey });
  });

  it('a v1 envelope is unsigned', () => {
    expect(check(plain)).toEqual({ ok: false, code: 'unsigned' });
  });

  it('refuses a change to any signed field, another signer’s key, and another room', () => {
    const signed = signEnvelope(plain, roomOf(key), identity);
    const changes: Partial<Envelope>[] = [
      { kind: 'leave' },
      { from: 'alicE' },
      { text: 'hi!' },
      { id: testId(2) },
      { at: '2026-11-23T10:00:00.001Z' },
      { peer: 4 },
      { here: true },
      { was: 'bob' },
      { action: true },
      { key: Identity.generate().publicKey.toString('base64url') },
      // Not a point on the curve: OpenSSL refuses the key, and so do we, without throwing.
      { key: Buffer.alloc(32, 0xff).toString('base64url').slice(0, 43) },
    ];
    // The client's verifier, which keeps key objects, judges as the plain one, twice over.
    const kept = ed25519Verifier();
    for (const change of changes)
      for (const verify of [verifySignature, kept, kept])
        expect(
          checkSignature({ ...signed, ...change }, roomOf(key), FIXED_SECONDS, verify),
          JSON.stringify(change),
        ).toMatchObject({ ok: false, code: 'bad-signature' });
    expect(checkSignature(signed, roomOf(key), FIXED_SECONDS, kept)).toMatchObject({ ok: true });
    expect(check(signed, roomOf(FernetKey.parse(OTHER_KEY)))).toMatchObject({
      ok: false,
      code: 'bad-signature',
    });
  });

  it('refuses a signed envelope in a token made over a minute after it was signed (lifted from another time)', () => {
    const signed = signEnvelope(plain, roomOf(key), identity);
    expect(check(signed, roomOf(key), FIXED_SECONDS + 60)).toMatchObject({ ok: true });
    expect(check(signed, roomOf(key), FIXED_SECONDS + 3600)).toEqual({
      ok: false,
      code: 'lifted',
      why: 'it was signed at 2026-11-23T10:00:00.000Z but sent 3600 s from then (an old message sent again)',
    });
  });
});
