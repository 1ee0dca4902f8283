import { describe, expect, it } from 'vitest';
import type { LineKind } from '../../src/actors/clientOutput.ts';
import { countedLine } from '../../src/actors/quietWarnings.ts';

describe('countedLine', () => {
  it('says how many more of a kind were held back, in one line, singular or plural', () => {
    const lines: [LineKind, number, string][] = [
      [
        'unreadable:bad-token',
        61_999,
        '! 61999 more unreadable messages (not a valid token) in the last second',
      ],
      ['unreadable:expired', 1, '! 1 more unreadable message (too old) in the last second'],
      ['unreadable:future', 2, '! 2 more unreadable messages (dated in the future) in the last second'],
      ['malformed:from', 3, '! 3 more malformed messages (from) in the last second'],
      ['replay', 1, '! 1 more repeated message dropped (replay) in the last second'],
      ['replay', 9, '! 9 more repeated messages dropped (replays) in the last second'],
      ['hub-error', 4, '! 4 more errors from the hub in the last second'],
      ['hub-hello', 4, '! 4 more #hello notices from the hub in the last second'],
      ['oversize', 2, '! 2 more messages skipped as too large to hold in the last second'],
      ['queue-full', 1, '! 1 more line dropped while not connected in the last second'],
    ];
    for (const [kind, count, line] of lines) expect(countedLine(kind, count)).toBe(line);
  });

  it('names a window other than one second in seconds', () => {
    expect(countedLine('hub-bye', 2, 2_500)).toBe('! 2 more #bye notices from the hub in the last 2.5 s');
  });
});
