import { describe, expect, it } from 'vitest';
import { lineDiff } from '../../src/replay/lineDiff.ts';

const labels = { expected: 'want', actual: 'got' };
const lines = (n: number) => Array.from({ length: n }, (_, i) => `line ${i + 1}`);
const text = (ls: readonly string[]) => `${ls.join('\n')}\n`;

describe('lineDiff', () => {
  it('is undefined for the same text', () => {
    expect(lineDiff('a\nb\n', 'a\nb\n', labels)).toBeUndefined();
  });

  it('shows each change with three lines of context, in hunks', () => {
    const got = lines(20);
    got[1] = 'changed';
    got.splice(15, 1);
    expect(lineDiff(text(lines(20)), text(got), labels)).toBe(
      [
        '--- want',
        '+++ got',
        '@@ -1,5 +1,5 @@',
        ' line 1',
        '-line 2',
        '+changed',
        ' line 3',
        ' line 4',
        ' line 5',
        '@@ -13,7 +13,6 @@',
        ' line 13',
        ' line 14',
        ' line 15',
        '-line 16',
        ' line 17',
        ' line 18',
        ' line 19',
        '',
      ].join('\n'),
    );
  });

  it('merges changes whose context overlaps', () => {
    const got = lines(10);
    got[2] = 'x';
    got[6] = 'y';
    const diff = lineDiff(text(lines(10)), text(got), labels)!;
    expect(diff.match(/^@@/gm)).toHaveLength(1);
  });

  it('shows lines added at the end', () => {
    expect(lineDiff('a\n', 'a\nb\n', labels)).toBe('--- want\n+++ got\n@@ -1,1 +1,2 @@\n a\n+b\n');
  });
});
