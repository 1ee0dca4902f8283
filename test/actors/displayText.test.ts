import { describe, expect, it } from 'vitest';
import { displayText } from '../../src/actors/displayText.ts';

describe('displayText', () => {
  it('leaves ordinary text alone, whatever the script', () => {
    for (const text of ['hello, world!', 'héllo wörld', '日本語', '🎉 👩‍👩‍👧', 'a\u00a0b', 'x = "y" \\ z'])
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

  it('leaves no raw control character in its output, for any input', () => {
    let all = '';
    for (let c = 0; c < 0x300; c++) all += String.fromCodePoint(c);
    all += '\u202a\u202e\u2066\u2069';
    expect(displayText(all)).not.toMatch(/[\p{Cc}\u202a-\u202e\u2066-\u2069]/u);
  });
});
