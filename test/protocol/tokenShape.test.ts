import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { describeShapeProblem, tokenShapeProblem } from '../../src/protocol/tokenShape.ts';
import { testRing } from '../support/testKey.ts';

const shape = (text: string) => tokenShapeProblem(Buffer.from(text, 'latin1'));
const tokenBytes = (token: string) => Buffer.from(token, 'base64url');
const text = (bytes: Buffer) => bytes.toString('base64').replaceAll('+', '-').replaceAll('/', '_');

describe('tokenShapeProblem', () => {
  it('accepts real tokens of every padding (0, 1 and 2 "=")', () => {
    const paddings = new Set<number>();
    for (let size = 0; size < 64; size++) {
      const token = testRing.encrypt(Buffer.alloc(size, 0x41));
      paddings.add(token.length - token.replace(/=+$/, '').length);
      expect(shape(token), token).toBeUndefined();
    }
    expect(paddings).toEqual(new Set([0, 1, 2]));
  });

  it('checks a range inside a larger buffer, without looking outside it', () => {
    const token = testRing.encrypt('hi');
    const bytes = Buffer.from(`!!${token}\n!!`);
    expect(tokenShapeProblem(bytes, 2, 2 + token.length)).toBeUndefined();
    expect(tokenShapeProblem(bytes, 1, 2 + token.length)).toBe('not-base64url');
  });

  it('refuses characters outside base64url: standard base64, spaces, "=" inside', () => {
    const token = testRing.encrypt('hello');
    for (const bad of ['+', '/', ' ', '=', '\u00e9', '.'])
      expect(shape(token.slice(0, 10) + bad + token.slice(11)), bad).toBe('not-base64url');
    expect(shape('hello there')).toBe('not-base64url');
  });

  it('refuses wrong lengths: empty, truncated, unpadded, one block short', () => {
    const token = testRing.encrypt('hi'); // 73 bytes: the shortest token
    expect(shape('')).toBe('bad-length');
    expect(shape('gAAA')).toBe('bad-length');
    expect(shape(token.slice(0, -4))).toBe('bad-length');
    expect(shape(token.replace(/=+$/, ''))).toBe('bad-length');
    const bytes = tokenBytes(token);
    expect(shape(text(bytes.subarray(0, 72)))).toBe('bad-length');
    expect(shape(text(Buffer.concat([bytes, Buffer.alloc(1)])))).toBe('bad-length');
    expect(shape(text(Buffer.concat([bytes, Buffer.alloc(16)])))).toBeUndefined();
  });

  it('refuses a first byte other than 0x80', () => {
    for (const version of [0x00, 0x7f, 0x81, 0x90, 0xff]) {
      const bytes = tokenBytes(testRing.encrypt('hi'));
      bytes[0] = version;
      expect(shape(text(bytes)), version.toString(16)).toBe('bad-version');
    }
  });

  it('accepts any well-formed token of any plaintext (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (plaintext) => {
        expect(shape(testRing.encrypt(Buffer.from(plaintext)))).toBeUndefined();
      }),
      { numRuns: 200 },
    );
  });

  it('refuses a token with one character replaced by one outside the alphabet (property)', () => {
    const token = testRing.encrypt('a message of some length');
    const stripped = token.replace(/=+$/, '').length;
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: stripped - 1 }),
        fc.constantFrom('+', '/', ' ', '\t', '\r', '"', '#', '\u00ff'),
        (at, bad) => {
          expect(shape(token.slice(0, at) + bad + token.slice(at + 1))).toBe('not-base64url');
        },
      ),
    );
  });

  it('describes every problem in words', () => {
    expect(describeShapeProblem('not-base64url')).toMatch(/base64url/);
    expect(describeShapeProblem('bad-length')).toMatch(/length/);
    expect(describeShapeProblem('bad-version')).toMatch(/0x80/);
  });
});
