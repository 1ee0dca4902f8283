import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import { emptyPins, type PinEvent, type PinOutcome, pinning, pinStep } from '../../src/actors/pinnedNames.ts';

const scheduler = () => new TestScheduler((actual, expected) => expect(actual).toEqual(expected));

const BOB = 'B'.repeat(43);
const OTHER = 'O'.repeat(43);
const THIRD = 'T'.repeat(43);
const bob = { name: 'bob', key: BOB };
const seen = (name: string, key: string): PinEvent => ({ type: 'seen', name, key });

describe('pinning, as a marble diagram', () => {
  it('first sight pins, the same key passes, a new key warns once until it is trusted', () => {
    scheduler().run(({ hot, expectObservable }) => {
      const events = hot<PinEvent>('a-b-c-d-e-f-g', {
        a: seen('bob', BOB),
        b: seen('bob', BOB),
        c: seen('bob', OTHER),
        d: seen('bob', OTHER),
        e: { type: 'trust', name: 'bob' },
        f: seen('bob', OTHER),
        g: seen('bob', BOB),
      });
      const newBob = { name: 'bob', key: OTHER };
      expectObservable(events.pipe(pinning())).toBe('a-b-c-d-e-f-g', {
        a: { verdict: 'first', pin: bob },
        b: { verdict: 'pinned', pin: bob },
        c: { verdict: 'new-key', pinned: bob, seen: newBob, warn: true, lookAlike: false },
        // Marked still, but not warned again.
        d: { verdict: 'new-key', pinned: bob, seen: newBob, warn: false, lookAlike: false },
        e: { verdict: 'trusted', pin: newBob, was: bob },
        f: { verdict: 'pinned', pin: newBob },
        // The old key is now the stranger: warned about, once.
        g: { verdict: 'new-key', pinned: newBob, seen: bob, warn: true, lookAlike: false },
      } satisfies Record<string, PinOutcome>);
    });
  });

  it('a look-alike of a pinned name is that name with another key; a third key warns again', () => {
    scheduler().run(({ hot, expectObservable }) => {
      const events = hot<PinEvent>('a-b-c-d', {
        a: seen('bob', BOB),
        b: seen('b\u043eb', OTHER),
        c: seen('BOB', BOB),
        d: seen('ｂｏｂ', THIRD),
      });
      expectObservable(events.pipe(pinning())).toBe('a-b-c-d', {
        a: { verdict: 'first', pin: bob },
        b: {
          verdict: 'new-key',
          pinned: bob,
          seen: { name: 'b\u043eb', key: OTHER },
          warn: true,
          lookAlike: true,
        },
        // Another case with the pinned key: the same person.
        c: { verdict: 'pinned', pin: bob },
        d: {
          verdict: 'new-key',
          pinned: bob,
          seen: { name: 'ｂｏｂ', key: THIRD },
          warn: true,
          lookAlike: true,
        },
      } satisfies Record<string, PinOutcome>);
    });
  });

  it('nothing to trust without a new key; a mixed-script name is flagged on first sight only', () => {
    scheduler().run(({ hot, expectObservable }) => {
      const mixed = 'ma\u043bory'; // a Cyrillic л in the middle
      const events = hot<PinEvent>('a-b-c-d-e', {
        a: { type: 'trust', name: 'bob' },
        b: seen('bob', BOB),
        c: { type: 'trust', name: 'bob' },
        d: seen(mixed, OTHER),
        e: seen(mixed, OTHER),
      });
      expectObservable(events.pipe(pinning())).toBe('a-b-c-d-e', {
        a: { verdict: 'nothing-to-trust', name: 'bob' },
        b: { verdict: 'first', pin: bob },
        c: { verdict: 'nothing-to-trust', name: 'bob', pinned: bob },
        d: { verdict: 'first', pin: { name: mixed, key: OTHER }, mixed: ['Latin', 'Cyrillic'] },
        e: { verdict: 'pinned', pin: { name: mixed, key: OTHER } },
      } satisfies Record<string, PinOutcome>);
    });
  });

  it('an edit of the file replaces the pins, and accepts a key waiting for /trust', () => {
    scheduler().run(({ hot, expectObservable }) => {
      const events = hot<PinEvent>('a-b-c-d', {
        a: seen('bob', BOB),
        b: seen('bob', OTHER),
        c: { type: 'reload', pins: [{ name: 'bob', key: OTHER }] },
        d: seen('bob', OTHER),
      });
      expectObservable(events.pipe(pinning())).toBe('a-b-c-d', {
        a: { verdict: 'first', pin: bob },
        b: {
          verdict: 'new-key',
          pinned: bob,
          seen: { name: 'bob', key: OTHER },
          warn: true,
          lookAlike: false,
        },
        c: { verdict: 'reloaded', count: 1 },
        d: { verdict: 'pinned', pin: { name: 'bob', key: OTHER } },
      } satisfies Record<string, PinOutcome>);
    });
  });

  it('starts from the pins of the file: a known name with another key is not a first sight', () => {
    const { outcome } = pinStep(emptyPins([bob]), seen('Bob', OTHER));
    expect(outcome).toMatchObject({ verdict: 'new-key', pinned: bob, warn: true, lookAlike: true });
  });
});
