/**
 * How a name looks, for telling people apart (docs/protocol.md, "Names"). Names are compared by
 * their skeleton, so `bob`, `Bob`, `ｂｏｂ` (fullwidth) and `bоb` (a Cyrillic о) are one name to
 * pin; characters that show nothing are refused in signed names; a name that mixes scripts is
 * flagged, since that is how look-alikes are usually made.
 */

/**
 * Characters that show as nothing, or move or fake what is around them: controls, format
 * characters (zero-width space and joiners, bidi marks and overrides, soft hyphen, tags), line
 * and paragraph separators, the Hangul fillers and the combining grapheme joiner, which are
 * letters or marks that render blank. A name is something people read: it needs none of them.
 */
const INVISIBLE = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\u034f\u115f\u1160\u3164\uffa0]/u;

/** The first invisible character in a name, as `U+200B`; undefined when it has none. */
export function invisibleIn(name: string): string | undefined {
  const found = INVISIBLE.exec(name)?.[0];
  return found === undefined
    ? undefined
    : `U+${found.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;
}

/**
 * Letters drawn like Latin ones in common fonts, each to the Latin letter it passes for (after
 * NFKC, which already folds fullwidth, ligatures and compatibility forms, and before
 * lower-casing). It covers the Cyrillic and Greek letters that look like Latin ones, upper and
 * lower case, and the digit and symbol look-alikes of ASCII (0/o, 1/l/I, |); not the whole of
 * Unicode's confusables.txt (6,000 entries), whose rarer scripts are flagged as mixed instead.
 */
const CONFUSABLE: Readonly<Record<string, string>> = {
  // Cyrillic
  а: 'a',
  в: 'b',
  е: 'e',
  ё: 'e',
  о: 'o',
  р: 'p',
  с: 'c',
  у: 'y',
  х: 'x',
  ѕ: 's',
  і: 'i',
  ї: 'i',
  ј: 'j',
  ԁ: 'd',
  һ: 'h',
  ӏ: 'l',
  ԛ: 'q',
  ԝ: 'w',
  ү: 'y',
  ѵ: 'v',
  ɡ: 'g',
  А: 'a',
  В: 'b',
  Е: 'e',
  Ё: 'e',
  К: 'k',
  М: 'm',
  Н: 'h',
  О: 'o',
  Р: 'p',
  С: 'c',
  Т: 't',
  Х: 'x',
  У: 'y',
  Ѕ: 's',
  І: 'l',
  Ј: 'j',
  Ү: 'y',
  Ԛ: 'q',
  Ԝ: 'w',
  Ӏ: 'l',
  // Greek
  α: 'a',
  ο: 'o',
  ρ: 'p',
  ν: 'v',
  ι: 'i',
  κ: 'k',
  υ: 'u',
  χ: 'x',
  ϲ: 'c',
  ϳ: 'j',
  Α: 'a',
  Β: 'b',
  Ε: 'e',
  Ζ: 'z',
  Η: 'h',
  Ι: 'l',
  Κ: 'k',
  Μ: 'm',
  Ν: 'n',
  Ο: 'o',
  Ρ: 'p',
  Τ: 't',
  Υ: 'y',
  Χ: 'x',
  Ϲ: 'c',
  // ASCII look-alikes: an upper-case I is drawn as a lower-case l in most sans-serif fonts.
  '0': 'o',
  '1': 'l',
  I: 'l',
  '|': 'l',
};

/** Pairs of letters drawn as one: `rn` passes for `m`, `vv` for `w`. */
const CONFUSABLE_PAIRS: readonly (readonly [RegExp, string])[] = [
  [/rn/g, 'm'],
  [/vv/g, 'w'],
];

/**
 * What a name looks like, for comparing names: NFKC, each look-alike letter to the Latin letter
 * it passes for, lower case, look-alike pairs folded. Two names with one skeleton are one name.
 */
export function nameSkeleton(name: string): string {
  let folded = '';
  for (const char of name.normalize('NFKC')) folded += CONFUSABLE[char] ?? char;
  folded = folded.toLowerCase();
  for (const [pair, single] of CONFUSABLE_PAIRS) folded = folded.replace(pair, single);
  return folded;
}

/** Scripts a name's letters are told apart by; letters of others count as their own group. */
const SCRIPTS = [
  'Latin',
  'Cyrillic',
  'Greek',
  'Armenian',
  'Georgian',
  'Hebrew',
  'Arabic',
  'Devanagari',
  'Bengali',
  'Tamil',
  'Thai',
  'Han',
  'Hiragana',
  'Katakana',
  'Hangul',
  'Cherokee',
] as const;
const SCRIPT_TESTS = SCRIPTS.map((script) => [script, new RegExp(`\\p{Script=${script}}`, 'u')] as const);

/** Writing systems whose scripts are mixed in every ordinary name: Japanese, Korean. */
const WRITING_SYSTEMS: readonly (readonly string[])[] = [
  ['Han', 'Hiragana', 'Katakana'],
  ['Han', 'Hangul'],
];

/**
 * The scripts of a name's letters when it mixes them (`['Latin', 'Cyrillic']` for `bоb`), or
 * undefined when it uses one (digits, spaces and punctuation belong to every script).
 */
export function mixedScripts(name: string): string[] | undefined {
  const found = new Set<string>();
  for (const char of name.normalize('NFKC')) {
    if (!/\p{L}/u.test(char)) continue;
    found.add(SCRIPT_TESTS.find(([, test]) => test.test(char))?.[0] ?? 'another script');
  }
  if (found.size < 2) return undefined;
  if (WRITING_SYSTEMS.some((system) => [...found].every((script) => system.includes(script))))
    return undefined;
  return [...found];
}
