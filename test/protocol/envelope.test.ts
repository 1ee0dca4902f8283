import { describe, expect, it } from 'vitest';
import { envelopeSchema, MAX_NAME_LENGTH, nameSchema } from '../../src/protocol/envelope.ts';

const good = {
  v: 1,
  kind: 'message',
  from: 'alice',
  text: 'hi',
  id: '6f1c0c5e-3b7a-4c2e-9d3f-2a1b0c9d8e7f',
  at: '2026-11-23T10:00:00.000Z',
};

describe('envelopeSchema', () => {
  it('accepts the envelope of SPEC §5, for each kind', () => {
    for (const kind of ['message', 'join', 'leave'])
      expect(envelopeSchema.parse({ ...good, kind })).toEqual({ ...good, kind });
  });

  it('accepts any text, empty or long or with any characters', () => {
    for (const text of ['', 'x'.repeat(10_000), 'line\nbreak', '\u001b[31m', '日本語 🎉'])
      expect(envelopeSchema.safeParse({ ...good, text }).success).toBe(true);
  });

  it('takes the optional v1 fields: the sender’s hub id, an answer to a join, a former name, an action', () => {
    const full = { ...good, kind: 'join', peer: 7, here: true, was: 'al', action: false };
    expect(envelopeSchema.parse(full)).toEqual(full);
    // A v1 envelope without them (every client before them) is as good as ever.
    expect(envelopeSchema.parse(good)).toEqual(good);
    for (const bad of [{ peer: -1 }, { peer: 1.5 }, { peer: '7' }, { here: 'yes' }, { was: '' }])
      expect(envelopeSchema.safeParse({ ...good, ...bad }).success, JSON.stringify(bad)).toBe(false);
  });

  it('ignores fields it does not know (later versions may add some)', () => {
    expect(envelopeSchema.parse({ ...good, colour: 'blue' })).toEqual(good);
  });

  it.each([
    ['another version', { v: 2 }],
    ['a version as text', { v: '1' }],
    ['an unknown kind', { kind: 'shout' }],
    ['a missing sender', { from: undefined }],
    ['text that is not a string', { text: 5 }],
    ['an id that is not a uuid', { id: 'abc' }],
    ['a time that is not ISO 8601', { at: 'yesterday' }],
    ['a time with an offset instead of Z', { at: '2026-11-23T10:00:00+01:00' }],
  ])('refuses %s', (_, change) => {
    expect(envelopeSchema.safeParse({ ...good, ...change }).success).toBe(false);
  });

  it('refuses null, arrays and strings', () => {
    for (const value of [null, [], 'hi', 1]) expect(envelopeSchema.safeParse(value).success).toBe(false);
  });
});

describe('nameSchema', () => {
  it('trims names and keeps any printable character', () => {
    expect(nameSchema.parse('  alice ')).toBe('alice');
    expect(nameSchema.parse('Zoë 🎉')).toBe('Zoë 🎉');
    expect(nameSchema.parse('x'.repeat(MAX_NAME_LENGTH))).toHaveLength(MAX_NAME_LENGTH);
  });

  it('refuses empty, too long, and control or format characters', () => {
    for (const name of [
      '',
      '   ',
      'x'.repeat(MAX_NAME_LENGTH + 1),
      'a\u001b[2Jb',
      'a\nb',
      'a\u202eb',
      'a\u0000',
    ])
      expect(nameSchema.safeParse(name).success, JSON.stringify(name)).toBe(false);
  });
});
