import { describe, expect, it } from 'vitest';
import { lineStyleFor, localTime, nameColour, styleLine } from '../../src/text/lineStyle.ts';
import { showPlaintext } from '../../src/actors/showPlaintext.ts';
import { envelope } from '../support/testKey.ts';

const AT = '2026-11-23T10:07:00.000Z';
const both = { times: true, colours: true };
const plain = { times: false, colours: false };
/** What a terminal shows, its colour codes removed. */
// eslint-disable-next-line no-control-regex -- removing our own colour codes is the point
const uncoloured = (line: string) => line.replace(/\x1b\[\d+m/g, '');
const shown = (fields: Parameters<typeof envelope>[0]) => {
  const result = showPlaintext(Buffer.from(JSON.stringify(envelope(fields))));
  if (result.type !== 'show') throw new Error(result.line);
  return result;
};

describe('nameColour', () => {
  it('gives a name the same colour every time, from a palette of readable ones', () => {
    expect(nameColour('alice')).toBe(nameColour('alice'));
    const palette = [31, 32, 33, 34, 35, 36, 91, 92, 94, 95];
    const names = Array.from({ length: 200 }, (_, i) => `user${i}`);
    for (const name of names) expect(palette).toContain(nameColour(name));
    // A hash that spreads names: 200 names use every colour.
    expect(new Set(names.map(nameColour)).size).toBe(palette.length);
  });

  it('does not depend on anything but the name (the same in every client)', () => {
    // FNV-1a of "alice" is 0x872213e7 (2267157479), and 2267157479 % 10 = 9: bright magenta.
    expect(nameColour('alice')).toBe(95);
  });
});

describe('localTime', () => {
  it('is HH:MM in the local time zone', () => {
    const date = new Date(AT);
    const expected = `${String(date.getHours()).padStart(2, '0')}:${String(date.getMinutes()).padStart(2, '0')}`;
    expect(localTime(AT)).toBe(expected);
    expect(localTime(AT)).toMatch(/^\d\d:07$/);
  });

  it('follows the time zone (TZ): 10:07 UTC is 15:37 in Kolkata and 05:07 in New York', () => {
    const saved = process.env.TZ;
    try {
      process.env.TZ = 'Asia/Kolkata';
      expect(localTime(AT)).toBe('15:37');
      process.env.TZ = 'America/New_York';
      expect(localTime(AT)).toBe('05:07');
    } finally {
      if (saved === undefined) delete process.env.TZ;
      else process.env.TZ = saved;
    }
  });

  it('is HH:MM in UTC when asked, whatever the time zone (a replay reads the same everywhere)', () => {
    const saved = process.env.TZ;
    try {
      process.env.TZ = 'Asia/Kolkata';
      expect(localTime(AT, true)).toBe('10:07');
      expect(styleLine('bob: hi', undefined, { ...plain, utc: true }, AT)).toBe('[10:07] bob: hi');
    } finally {
      if (saved === undefined) delete process.env.TZ;
      else process.env.TZ = saved;
    }
  });

  it('is undefined for what is not a date', () => {
    expect(localTime('not a date')).toBeUndefined();
  });
});

describe('styleLine', () => {
  it('puts the local time first and colours the name of a message', () => {
    const { line, sender } = shown({ from: 'bob', text: 'hi', at: AT });
    const styled = styleLine(line, sender, both);
    expect(styled).toBe(`${localTime(AT)} \x1b[${nameColour('bob')}mbob\x1b[39m: hi`);
  });

  it('colours the name inside a join or leave line', () => {
    for (const kind of ['join', 'leave'] as const) {
      const { line, sender } = shown({ from: 'bob', kind, at: AT });
      const styled = styleLine(line, sender, both);
      expect(styled).toContain(`* \x1b[${nameColour('bob')}mbob\x1b[39m `);
      expect(uncoloured(styled)).toBe(`${localTime(AT)} ${line}`);
    }
  });

  it('colours the name where the sender says it is, even a name like `*`', () => {
    const { line, sender } = shown({ from: '*', kind: 'join', at: AT });
    expect(styleLine(line, sender, { times: false, colours: true })).toBe(
      `* \x1b[${nameColour('*')}m*\x1b[39m joined`,
    );
  });

  it('keeps escaping what others send: the only escape codes are the colour', () => {
    const { line, sender } = shown({ from: 'eve\u200b', text: 'x\x1b]0;pwned\x07\x1b[31m', at: AT });
    const styled = styleLine(line, sender, both);
    // eslint-disable-next-line no-control-regex -- counting raw escapes is the point
    expect(styled.match(/\x1b/g)).toHaveLength(2);
    expect(uncoloured(styled)).toBe(`${localTime(AT)} eve\\u{200b}: x\\x1b]0;pwned\\x07\\x1b[31m`);
    expect(styled).toContain(`\x1b[${nameColour('eve\\u{200b}')}meve\\u{200b}\x1b[39m`);
  });

  it('leaves the line as it is without a terminal, or without a sender', () => {
    const { line, sender } = shown({ from: 'bob', text: 'hi', at: AT });
    expect(styleLine(line, sender, plain)).toBe('bob: hi');
    expect(styleLine('?: bare text', undefined, both)).toBe('?: bare text');
  });

  it('with NO_COLOR, shows times but no colour', () => {
    const { line, sender } = shown({ from: 'bob', text: 'hi', at: AT });
    expect(styleLine(line, sender, { times: true, colours: false })).toBe(`${localTime(AT)} bob: hi`);
  });
});

describe('styleLine for an earlier line (from history)', () => {
  it('always starts with its time in brackets, also piped, where a live line has none', () => {
    const { line, sender } = shown({ from: 'bob', text: 'hi', at: AT });
    expect(styleLine(line, sender, plain, AT)).toBe(`[${localTime(AT)}] bob: hi`);
    expect(styleLine(line, sender, plain)).toBe('bob: hi');
  });

  it('on a terminal is dim, with the name still in its colour, and no second time', () => {
    const { line, sender } = shown({ from: 'bob', text: 'hi', at: AT });
    const styled = styleLine(line, sender, both, AT);
    expect(styled).toBe(`\x1b[2m[${localTime(AT)}] \x1b[${nameColour('bob')}mbob\x1b[39m: hi\x1b[22m`);
  });

  it('with NO_COLOR keeps the bracketed time as its only mark', () => {
    const { line, sender } = shown({ from: 'bob', kind: 'join', at: AT });
    expect(styleLine(line, sender, { times: true, colours: false }, AT)).toBe(
      `[${localTime(AT)}] * bob joined`,
    );
  });

  it('marks bare text without a sender too', () => {
    expect(styleLine('?: bare text', undefined, plain, AT)).toBe(`[${localTime(AT)}] ?: bare text`);
  });
});

describe('lineStyleFor', () => {
  it('styles only a terminal, and colours it unless NO_COLOR is set to something', () => {
    expect(lineStyleFor({ isTTY: true }, {})).toEqual(both);
    expect(lineStyleFor({ isTTY: true }, { NO_COLOR: '1' })).toEqual({ times: true, colours: false });
    expect(lineStyleFor({ isTTY: true }, { NO_COLOR: '' })).toEqual(both);
    expect(lineStyleFor({}, {})).toEqual(plain);
    expect(lineStyleFor({ isTTY: false }, {})).toEqual(plain);
  });
});
