import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DigestIndex } from '../../src/actors/digestIndex.ts';

/**
 * A digest whose first four bytes (the hash) are one of a few, so that many frames share a home
 * slot and deletions must shift probe sequences; the rest of its bytes tell them apart.
 */
const digestOf = (hash: number, tail: number) => {
  const digest = new Uint8Array(12);
  // Hashes 0…5 land on slots 0…5 of any table: neighbours, and each shared by several digests.
  new DataView(digest.buffer).setUint32(0, hash * 0x1000_0001, true);
  new DataView(digest.buffer).setUint32(8, tail, true);
  return digest;
};
const ALL = [0, 1, 2, 3, 4, 5].flatMap((hash) => [0, 1, 2, 3, 4, 5, 6].map((tail) => digestOf(hash, tail)));

describe('digest index', () => {
  it('finds the newest kept frame of each digest, as a map would, through collisions and deletions', () => {
    const step = fc.oneof(
      // A frame: its digest from a few hashes (some landing on neighbouring slots) and tails.
      fc.record({ kind: fc.constant('keep' as const), hash: fc.nat(5), tail: fc.nat(6) }),
      fc.record({ kind: fc.constant('evict' as const) }),
      fc.record({ kind: fc.constant('grow' as const) }),
    );
    fc.assert(
      fc.property(fc.array(step, { maxLength: 200 }), (steps) => {
        const index = new DigestIndex();
        let capacity = 8;
        index.resize(capacity, 1, 0);
        let first = 1;
        let next = 1;
        /** What each kept frame's digest is, by frame number. */
        const kept = new Map<number, Uint8Array>();
        const check = () => {
          for (const digest of ALL) {
            const newest = [...kept].filter(([, d]) => d.join() === digest.join()).at(-1)?.[0];
            expect(index.find(digest)).toBe(newest);
          }
        };
        for (const s of steps) {
          if (s.kind === 'keep') {
            if (next - first === capacity) {
              index.remove(first);
              kept.delete(first++);
            }
            const digest = digestOf(s.hash, s.tail);
            index.set(next, digest);
            kept.set(next++, digest);
          } else if (s.kind === 'evict' && first < next) {
            index.remove(first);
            kept.delete(first++);
          } else if (s.kind === 'grow') {
            capacity *= 2;
            index.resize(capacity, first, next - 1);
          }
          check();
        }
      }),
      { numRuns: 300 },
    );
  });
});
