import { filter, firstValueFrom, map, Subject, take, tap, timeout } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { clientActor } from '../../src/actors/clientActor.ts';
import { promisedCodec, type PromisedRing } from '../../src/actors/clientCodec.ts';
import type { ClientOutput, LinkEvent } from '../../src/actors/clientOutput.ts';
import { fingerprint } from '../../src/crypto/fingerprint.ts';
import { WebKeyRing } from '../../src/crypto/webFernet.ts';
import { envelope, openEnvelope, otherRing, testRing, tokenOf } from '../support/testKey.ts';

// The client actor with a codec whose answers come later, as Web Crypto's do in the page: what
// it shows and sends keeps the order of what came and what was typed, however late each answer.

/** The test key, answering each call after the delay that `delays` gives it (in call order). */
function lateRing(delays: number[]): PromisedRing {
  let call = 0;
  const later = <T>(value: () => T) =>
    new Promise<T>((resolve, reject) =>
      setTimeout(
        () => {
          try {
            resolve(value());
          } catch (error) {
            reject(error);
          }
        },
        delays[call++ % delays.length],
      ),
    );
  return {
    fingerprint: fingerprint(testRing.primary),
    primary: testRing.primary,
    encrypt: (plaintext, options) => later(() => testRing.encrypt(plaintext, options)),
    open: (frame, times) => later(() => testRing.open(frame, times)),
  };
}

const hello: LinkEvent = { type: 'up', peer: 1, online: 3 };
const frame = (from: string, text: string): LinkEvent => ({
  type: 'frame',
  frame: tokenOf(envelope({ from, text }), testRing, Math.floor(Date.now() / 1000)),
});

const shownLines = (outputs: ClientOutput[]) =>
  outputs.filter((o) => o.type === 'show').map((o) => (o as { line: string }).line);

/**
 * Runs the actor on `events` and `typed` and resolves to all it said, once what it said satisfies
 * `until`: the answers come when the codec's do, which a busy machine may make late.
 */
async function run(
  ring: PromisedRing | WebKeyRing,
  events: LinkEvent[],
  until: (outputs: ClientOutput[]) => boolean,
  typed: string[] = [],
  echo = false,
): Promise<ClientOutput[]> {
  const link = new Subject<LinkEvent>();
  const lines = new Subject<string>();
  const actor = clientActor({
    codec: promisedCodec(ring),
    name: 'alice',
    maxFrameBytes: 64 * 1024,
    ttlSeconds: 3600,
    idleMs: 0,
    history: 0,
    clock: () => new Date(),
    echo,
  });
  const said: ClientOutput[] = [];
  const outputs = firstValueFrom(
    actor({ typed: lines, link }).pipe(
      tap((output) => said.push(output)),
      filter(() => until(said)),
      take(1),
      map(() => said),
      timeout({
        first: 10_000,
        with: () => {
          throw new Error(`the actor said only ${JSON.stringify(said)}`);
        },
      }),
    ),
  );
  for (const event of events) link.next(event);
  for (const line of typed) lines.next(line);
  return outputs;
}

describe('the client actor with an asynchronous codec', () => {
  it('shows frames in the order they came, though later ones are opened first', async () => {
    // The join is sealed first (call 0); then the three opens, the first slowest.
    const outputs = await run(
      lateRing([1, 60, 30, 1]),
      [hello, frame('bob', 'one'), frame('carol', 'two'), frame('bob', 'three')],
      (said) => shownLines(said).length >= 3,
    );
    expect(shownLines(outputs)).toEqual(['bob: one', 'carol: two', 'bob: three']);
  });

  it('sends typed lines in the order typed, and echoes them when asked, each after its own send', async () => {
    const outputs = await run(
      lateRing([1, 50, 20, 1]),
      [hello],
      (said) => shownLines(said).length >= 3,
      ['first', 'second', '/me waves'],
      true,
    );
    const sent = outputs
      .filter((o) => o.type === 'send')
      .map((o) => openEnvelope((o as { frame: string }).frame).envelope);
    expect(sent.map((e) => (e as { text: string }).text)).toEqual(['', 'first', 'second', 'waves']);
    expect(shownLines(outputs)).toEqual(['alice: first', 'alice: second', '* alice waves']);
  });

  it('says what Web Crypto could not open, as the terminal does: a warning, never text', async () => {
    const other = await WebKeyRing.import([otherRing.primary]);
    const outputs = await run(other, [hello, frame('bob', 'for the group only')], (said) =>
      said.some((o) => o.type === 'warn'),
    );
    expect(outputs.filter((o) => o.type === 'show')).toEqual([]);
    expect(outputs).toContainEqual(
      expect.objectContaining({ type: 'warn', kind: 'unreadable:bad-signature' }),
    );
  });
});
