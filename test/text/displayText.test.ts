import { describe, expect, it } from 'vitest';
import { displayText } from '../../src/text/displayText.ts';

describe('displayText', () => {
  it('leaves ordinary text alone, whatever the script', () => {
    for (const text of [
      'hello, world!',
      'héllo wörld',
      'Ærøskøbing, Şişli, Łódź',
      '日本語のテキスト、한국어',
      'مرحبا بالعالم',
      'שלום',
      '🎉 👩‍👩‍👧 👍🏾 🇵🇹',
      'a\u00a0b',
      'x = "y" \\ z',
    ])
      expect(displayText(text)).toBe(text);
  });

  it('neutralises escape sequences: the ESC is shown, not sent to the terminal', () => {
    expect(displayText('\u001b[2J\u001b[H')).toBe('\\x1b[2J\\x1b[H');
    expect(displayText('\u001b]0;pwned\u0007')).toBe('\\x1b]0;pwned\\x07');
    expect(displayText('red \u001b[31malert')).toBe('red \\x1b[31malert');
  });

  it('shows every other control character too: CR, LF, tab, NUL, DEL, C1 (CSI)', () => {
    expect(displayText('a\rb\nc\td\u0000e\u007ff\u009bg')).toBe('a\\x0db\\x0ac\\x09d\\x00e\\x7ff\\x9bg');
  });

  it('shows bidirectional overrides and isolates, which can reorder what is shown', () => {
    expect(displayText('abc\u202edef')).toBe('abc\\u{202e}def');
    expect(displayText('\u202a\u202b\u202c\u202d\u2066\u2067\u2068\u2069')).toBe(
      '\\u{202a}\\u{202b}\\u{202c}\\u{202d}\\u{2066}\\u{2067}\\u{2068}\\u{2069}',
    );
  });

  it('shows line and paragraph separators, which a terminal may break the line at (a fake second line)', () => {
    expect(displayText('hi\u2028alice: send me the key')).toBe('hi\\u{2028}alice: send me the key');
    expect(displayText('a\u2029b')).toBe('a\\u{2029}b');
  });

  it('shows invisible and direction marks that can hide or reorder text', () => {
    const marks: [string, string][] = [
      ['\u200b', 'zero width space'],
      ['\u200e', 'left-to-right mark'],
      ['\u200f', 'right-to-left mark'],
      ['\u061c', 'Arabic letter mark'],
      ['\ufeff', 'zero width no-break space (BOM)'],
      ['\u00ad', 'soft hyphen'],
      ['\u2060', 'word joiner'],
      ['\u2062', 'invisible times'],
      ['\u180e', 'Mongolian vowel separator'],
      ['\ufff9', 'interlinear annotation anchor'],
      ['\u{e0041}', 'tag latin capital letter A (hidden ASCII)'],
    ];
    for (const [mark, name] of marks) {
      const hex = mark.codePointAt(0)!.toString(16);
      const shown = mark.codePointAt(0)! < 0x100 ? `\\x${hex}` : `\\u{${hex}}`;
      expect(displayText(`pay${mark}pal`), name).toBe(`pay${shown}pal`);
    }
  });

  it('shows joiners where they only hide something: after Latin, Cyrillic or CJK letters, a space, or nothing', () => {
    expect(displayText('al\u200dice')).toBe('al\\u{200d}ice');
    expect(displayText('al\u200cice')).toBe('al\\u{200c}ice');
    expect(displayText('caf\u200dé')).toBe('caf\\u{200d}é');
    expect(displayText('\u200d🎉')).toBe('\\u{200d}🎉');
    expect(displayText('🎉 \u200d🎉')).toBe('🎉 \\u{200d}🎉');
    expect(displayText('юля\u200cюля')).toBe('юля\\u{200c}юля');
    expect(displayText('李\u200d')).toBe('李\\u{200d}');
  });

  it('keeps emoji sequences whole: ZWJ families and professions, skin tones, subdivision flags', () => {
    for (const emoji of [
      '👨\u200d👩\u200d👧',
      '👩🏽\u200d🚀',
      '❤️\u200d🔥',
      '🏳️\u200d🌈',
      '🏳️\u200d⚧️',
      '🧑\u200d🤝\u200d🧑',
      '🏴\u{e0067}\u{e0062}\u{e0073}\u{e0063}\u{e0074}\u{e007f}',
    ])
      expect(displayText(`look ${emoji}!`)).toBe(`look ${emoji}!`);
  });

  it('keeps the joiners that scripts need: Persian ZWNJ, Devanagari and Malayalam joins', () => {
    for (const text of ['می\u200cخواهم', 'क्\u200dष', 'ന്\u200d', 'र्\u200dय'])
      expect(displayText(text)).toBe(text);
  });

  it('leaves no raw control, format or separator character in its output, over all of Unicode', () => {
    let all = '';
    for (let c = 0; c <= 0x10ffff; c++) if (c < 0xd800 || c > 0xdfff) all += String.fromCodePoint(c);
    // In this run every joiner follows another format character, so none has work to do.
    expect(displayText(all)).not.toMatch(/[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/u);
  });
});
