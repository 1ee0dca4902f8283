import { describe, expect, it } from 'vitest';
import { invisibleIn, mixedScripts, nameSkeleton } from '../../src/text/nameLooks.ts';

describe('how names look', () => {
  it('one skeleton for case, width, compatibility forms and Cyrillic or Greek look-alikes', () => {
    for (const name of ['bob', 'Bob', 'BOB', 'ｂｏｂ', 'b\u043eb', 'b\u03bfb', '\u0412\u041e\u0412'])
      expect(nameSkeleton(name), name).toBe('bob');
    expect(nameSkeleton('aIice')).toBe(nameSkeleton('alice'));
    expect(nameSkeleton('rnallory')).toBe(nameSkeleton('mallory'));
    expect(nameSkeleton('b0b')).toBe('bob');
    // Different names stay different.
    expect(nameSkeleton('bobby')).not.toBe(nameSkeleton('bob'));
    expect(nameSkeleton('Zoë')).not.toBe(nameSkeleton('Zoe'));
  });

  it('finds zero-width, control, bidi and filler characters; keeps letters, marks, spaces and emoji', () => {
    for (const [name, found] of [
      ['bob\u200b', 'U+200B'],
      ['al\u200dice', 'U+200D'],
      ['\u202ebob', 'U+202E'],
      ['bob\u0007', 'U+0007'],
      ['\u3164', 'U+3164'],
      ['b\u034fob', 'U+034F'],
      ['bob\u2028', 'U+2028'],
    ] as const)
      expect(invisibleIn(name), name).toBe(found);
    for (const name of ['Zoë', 'Mary Ann', '山田たろう', 'ana-maria_2', '🎉 party'])
      expect(invisibleIn(name), name).toBeUndefined();
  });

  it('flags names that mix scripts, not those written in one (Japanese mixes three)', () => {
    expect(mixedScripts('b\u043eb')).toEqual(['Latin', 'Cyrillic']);
    expect(mixedScripts('\u03b1lice')).toEqual(['Greek', 'Latin']);
    for (const name of ['bob', 'Борис', 'Γιώργος', '山田たろう', '김민준', 'bob2', 'J. R.'])
      expect(mixedScripts(name), name).toBeUndefined();
  });
});
