/**
 * Characters next to which a joiner does real work: emoji (👨‍👩‍👧, 👩🏽‍🚀, ❤️‍🔥) and the scripts that
 * shape with ZWJ/ZWNJ (Persian and Urdu ZWNJ, Indic conjuncts). The scripts left out never need
 * one, and they are what names are usually written in: after them a joiner would only make
 * `al‍ice` look like `alice`, so it is shown.
 */
const JOINS =
  '[^\\p{ASCII}\\p{Script=Latin}\\p{Script=Greek}\\p{Script=Cyrillic}\\p{Script=Han}' +
  '\\p{Script=Hiragana}\\p{Script=Katakana}\\p{Script=Hangul}\\p{Z}\\p{C}]';

/**
 * Three alternatives, tried in this order at each position: a subdivision flag (🏴 and tag
 * letters, as in the Scottish flag: tags anywhere else are invisible ASCII, a known way to hide
 * text), which is kept; a joiner after a character that joins, kept; and any other control,
 * format or separator character, shown escaped. Format characters (\p{Cf}) include the bidi
 * overrides, isolates and marks (U+202A-202E, U+2066-2069, U+200E/F, U+061C), which reorder
 * what is shown, and the zero-width ones (U+200B, U+2060, U+FEFF, soft hyphen), which hide what
 * is there; U+2028/2029 may end the line on screen and fake a second one.
 */
const UNSAFE = new RegExp(
  `(\\u{1f3f4}[\\u{e0030}-\\u{e0039}\\u{e0061}-\\u{e007a}]{1,6}\\u{e007f})|((?<=${JOINS})[\\u200c\\u200d])|[\\p{Cc}\\p{Cf}\\p{Zl}\\p{Zp}]`,
  'gu',
);

/**
 * Text from other people, made safe for a terminal: control characters (escape sequences could
 * move the cursor, recolour or retitle the terminal) and characters that hide or reorder text are
 * shown as `\xNN`/`\u{…}` instead.
 */
export function displayText(text: string): string {
  return text.replace(UNSAFE, (c: string, flag?: string, joiner?: string) => {
    if (flag !== undefined || joiner !== undefined) return c;
    const code = c.codePointAt(0)!;
    return code < 0x100 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u{${code.toString(16)}}`;
  });
}
