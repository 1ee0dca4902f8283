import { describe, expect, it } from 'vitest';
import { notice, PROTOCOL, parseNotice } from '../../src/protocol/notice.ts';

describe('notice', () => {
  it('formats every notice of the protocol', () => {
    expect(PROTOCOL).toBe('fernet-chat/1');
    expect(notice.hello(3, 5)).toBe('#hello fernet-chat/1 3 5');
    expect(notice.joined(4, 2)).toBe('#joined 4 2');
    expect(notice.left(4, 1, 'quit')).toBe('#left 4 1 quit');
    expect(notice.error('bad-frame', 'not a Fernet token: wrong length')).toBe(
      '#error bad-frame not a Fernet token: wrong length',
    );
    expect(notice.bye('shutdown')).toBe('#bye shutdown');
    expect(notice.ping()).toBe('#ping');
    expect(notice.pong()).toBe('#pong');
  });

  it('keeps one-word fields one word and every notice one line', () => {
    expect(notice.left(1, 0, 'connection reset')).toBe('#left 1 0 connection-reset');
    expect(notice.left(1, 0, '')).toBe('#left 1 0 -');
    expect(notice.bye('slow\nconsumer')).toBe('#bye slow-consumer');
    expect(notice.error('bad-frame', 'two\r\nlines\nhere')).toBe('#error bad-frame two lines here');
  });

  it('parses what it formats', () => {
    expect(parseNotice(notice.hello(3, 5))).toEqual({
      kind: 'hello',
      protocol: PROTOCOL,
      peer: 3,
      online: 5,
    });
    expect(parseNotice(notice.joined(4, 2))).toEqual({ kind: 'joined', peer: 4, online: 2 });
    expect(parseNotice(notice.left(4, 1, 'idle'))).toEqual({
      kind: 'left',
      peer: 4,
      online: 1,
      reason: 'idle',
    });
    expect(parseNotice(notice.error('frame-too-large', 'frame of 70000+ bytes'))).toEqual({
      kind: 'error',
      code: 'frame-too-large',
      detail: 'frame of 70000+ bytes',
    });
    expect(parseNotice(notice.bye('shutdown'))).toEqual({ kind: 'bye', reason: 'shutdown' });
    expect(parseNotice('#ping')).toEqual({ kind: 'ping' });
    expect(parseNotice('#pong')).toEqual({ kind: 'pong' });
  });

  it('parses notices it does not know, or with missing or bad numbers, without throwing', () => {
    expect(parseNotice('#topic hello')).toEqual({ kind: 'unknown', text: '#topic hello' });
    expect(parseNotice('#')).toEqual({ kind: 'unknown', text: '#' });
    expect(parseNotice('#hello')).toEqual({ kind: 'hello', protocol: '', peer: -1, online: -1 });
    expect(parseNotice('#joined x 2')).toEqual({ kind: 'joined', peer: -1, online: 2 });
    expect(parseNotice('#bye')).toEqual({ kind: 'bye', reason: '' });
  });
});
