import { describe, expect, it } from 'vitest';
import { logfmt } from '../../src/hub/logfmt.ts';

const at = new Date('2026-11-23T10:00:00.000Z');

describe('logfmt', () => {
  it('writes one record as one line: the time, then key=value in order', () => {
    expect(logfmt({ event: 'join', peer: 3, remote: '127.0.0.1:5123', online: 2 }, at)).toBe(
      'ts=2026-11-23T10:00:00.000Z event=join peer=3 remote=127.0.0.1:5123 online=2',
    );
  });

  it('quotes values with spaces, quotes, equals signs or line breaks, so a record stays one line', () => {
    const line = logfmt(
      { event: 'reject', detail: 'not a Fernet token: wrong length', tricky: 'a="b"\nc', empty: '' },
      at,
    );
    expect(line).toBe(
      'ts=2026-11-23T10:00:00.000Z event=reject detail="not a Fernet token: wrong length" tricky="a=\\"b\\"\\nc" empty=""',
    );
    expect(line).not.toContain('\n');
  });
});
