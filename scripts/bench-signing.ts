/**
 * What signing costs per message, beside what the Fernet codec costs for the same message:
 * `npm run bench-signing`. All in one process, so that the ratios hold whatever the machine;
 * the hub is not involved (it does nothing new for signed envelopes).
 */
import { randomUUID } from 'node:crypto';
import { FernetKey } from '../src/crypto/fernetKey.ts';
import { ed25519Verifier, Identity, verifySignature } from '../src/crypto/identity.ts';
import { KeyRing } from '../src/crypto/keyRing.ts';
import type { Envelope } from '../src/protocol/envelope.ts';
import { checkSignature, roomOf, signEnvelope } from '../src/protocol/signedEnvelope.ts';

const ROUNDS = 5;
const PER_ROUND = Number(process.argv[2] ?? 20_000);

const ring = new KeyRing([FernetKey.generate()]);
const room = roomOf(ring.primary);
const identity = Identity.generate();
const now = Math.floor(Date.now() / 1000);

/** A typical chat line: a short sentence, with the fields a current client sends. */
function envelope(text: string): Envelope {
  return {
    v: 1,
    kind: 'message',
    from: 'alice',
    text,
    id: randomUUID(),
    at: new Date().toISOString(),
    peer: 12,
  };
}

/** µs per call of `run`, the median of ROUNDS rounds of PER_ROUND calls (after a warm-up). */
function perCall(run: (i: number) => unknown): number {
  for (let i = 0; i < 2_000; i++) run(i);
  const rounds: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < PER_ROUND; i++) run(i);
    rounds.push(Number(process.hrtime.bigint() - start) / 1000 / PER_ROUND);
  }
  return rounds.sort((a, b) => a - b)[Math.floor(ROUNDS / 2)]!;
}

const rows: string[][] = [];
for (const text of ['hi bob, the build is green again', 'x'.repeat(1000)]) {
  const plain = envelope(text);
  const signed = signEnvelope(plain, room, identity);
  const plainJson = JSON.stringify(plain);
  const signedJson = JSON.stringify(signed);
  const plainToken = ring.encrypt(plainJson, { now });
  const signedToken = ring.encrypt(signedJson, { now });

  const encrypt = perCall(() => ring.encrypt(signedJson, { now }));
  const decrypt = perCall(() => ring.open(signedToken));
  const sign = perCall(() => signEnvelope(plain, room, identity));
  // The client's verifier keeps the keys of the room's signers; the first line of each costs more.
  const cached = ed25519Verifier();
  const verify = perCall(() => checkSignature(signed, room, now, cached));
  const verifyFirst = perCall(() => checkSignature(signed, room, now, verifySignature));
  const codec = encrypt + decrypt;
  rows.push([
    `${Buffer.byteLength(text)} B of text`,
    encrypt.toFixed(1),
    decrypt.toFixed(1),
    sign.toFixed(1),
    verify.toFixed(1),
    verifyFirst.toFixed(1),
    `${(sign / encrypt).toFixed(1)}x`,
    `${(verify / decrypt).toFixed(1)}x`,
    `${((sign + verify) / codec).toFixed(1)}x`,
    `${plainJson.length} → ${signedJson.length} (+${signedJson.length - plainJson.length})`,
    `${plainToken.length} → ${signedToken.length} (+${signedToken.length - plainToken.length})`,
  ]);
}

const header = [
  'message',
  'Fernet encrypt µs',
  'Fernet open µs',
  'sign µs',
  'verify µs',
  'verify, new signer µs',
  'sign / encrypt',
  'verify / open',
  'both / codec',
  'envelope bytes',
  'token bytes',
];
process.stdout.write(`node ${process.version}, ${PER_ROUND} calls a round, median of ${ROUNDS} rounds\n\n`);
process.stdout.write(`| ${header.join(' | ')} |\n|${header.map(() => '---').join('|')}|\n`);
for (const row of rows) process.stdout.write(`| ${row.join(' | ')} |\n`);
