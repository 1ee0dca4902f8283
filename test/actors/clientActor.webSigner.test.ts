import { firstValueFrom, Subject, takeUntil, takeWhile, timer, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { clientActor } from '../../src/actors/clientActor.ts';
import type { ClientOutput, LinkEvent } from '../../src/actors/clientOutput.ts';
import { emptyPins } from '../../src/actors/pinnedNames.ts';
import { ed25519Verifier, type Signer, verifySignature } from '../../src/crypto/identity.ts';
import { WebSigner } from '../../src/crypto/webSigner.ts';
import { envelopeSchema } from '../../src/protocol/envelope.ts';
import { checkSignature, roomOf, signedBytes } from '../../src/protocol/signedEnvelope.ts';
import { testRing } from '../support/testKey.ts';

// The page's signer (Ed25519 on Web Crypto, whose signature is a promise) in the one client
// actor, checked by the terminal's verifier (node:crypto): the terminal accepts what the page
// signs. Node 20's globalThis.crypto.subtle has Ed25519, as Chromium's has.

const room = roomOf(testRing.primary);

async function run(signer: Signer, typed: string[]): Promise<ClientOutput[]> {
  const link = new Subject<LinkEvent>();
  const lines = new Subject<string>();
  const actor = clientActor({
    ring: testRing,
    name: 'wendy',
    identity: signer,
    pins: emptyPins(),
    maxFrameBytes: 64 * 1024,
    ttlSeconds: 3600,
    idleMs: 0,
    history: 0,
  });
  // Until the join and every typed line have their outcome (sent, or a warning): Web Crypto
  // answers when it can, which on a busy machine is not within a fixed few hundred milliseconds.
  let outcomes = 0;
  const outputs = firstValueFrom(
    actor({ typed: lines, link }).pipe(
      takeWhile((output) => {
        if (output.type === 'send' || output.type === 'warn') outcomes++;
        return outcomes < typed.length + 1;
      }, true),
      takeUntil(timer(10_000)),
      toArray(),
    ),
  );
  link.next({ type: 'up', peer: 1, online: 2 });
  for (const line of typed) lines.next(line);
  return outputs;
}

function sentEnvelopes(outputs: ClientOutput[]) {
  return outputs.flatMap((output) => {
    if (output.type !== 'send') return [];
    const opened = testRing.open(output.frame);
    return [{ envelope: envelopeSchema.parse(JSON.parse(opened.plaintext.toString('utf8'))), opened }];
  });
}

describe('the client actor signing with Web Crypto (the page)', () => {
  it("signs every envelope, in the order typed, so that the terminal's verifier accepts each", async () => {
    const signer = await WebSigner.generate();
    expect(signer.pair.privateKey.extractable).toBe(false);
    const outputs = await run(signer, ['first', 'second', '/me waves']);
    const sent = sentEnvelopes(outputs);
    expect(sent.map(({ envelope }) => [envelope.kind, envelope.text])).toEqual([
      ['join', ''],
      ['message', 'first'],
      ['message', 'second'],
      ['message', 'waves'],
    ]);
    const verify = ed25519Verifier();
    for (const { envelope, opened } of sent) {
      expect(envelope.v).toBe(2);
      const signature = checkSignature(envelope, room, opened.issuedAt, verify);
      expect(signature).toEqual({ ok: true, key: signer.publicKey });
      const sig = Buffer.from(envelope.sig!, 'base64url');
      expect(verifySignature(signer.publicKey, signedBytes(room, envelope), sig)).toBe(true);
      // Bound to what was sent: another text under the same signature does not verify.
      const altered = signedBytes(room, { ...envelope, text: `${envelope.text}!` });
      expect(verifySignature(signer.publicKey, altered, sig)).toBe(false);
    }
    // Our own name is pinned to our key, as in the terminal.
    expect(outputs).toContainEqual({
      type: 'pin',
      pin: expect.objectContaining({ name: 'wendy', key: signer.publicKey.toString('base64url') }),
    });
  });

  it('does not send a line it could not sign, says so, and goes on', async () => {
    const working = await WebSigner.generate();
    let calls = 0;
    const flaky: Signer = {
      publicKey: working.publicKey,
      sign: (message) =>
        ++calls === 2 ? Promise.reject(new Error('the key is gone')) : working.sign(message),
    };
    const outputs = await run(flaky, ['lost', 'kept']);
    expect(sentEnvelopes(outputs).map(({ envelope }) => envelope.text)).toEqual(['', 'kept']);
    expect(outputs).toContainEqual({
      type: 'warn',
      kind: 'not-signed',
      line: '! not sent: this browser could not sign it (the key is gone)',
    });
  });
});
