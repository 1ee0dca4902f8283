import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Pin } from '../../src/actors/pinnedNames.ts';
import { parsePinnedNames, pinLine, withPin } from '../../src/actors/pinnedNamesText.ts';
import { PinnedNamesFileError, readPinnedNamesText, savePin } from '../../src/client/pinnedNamesFile.ts';
import { nameSchema } from '../../src/protocol/envelope.ts';
import { invisibleIn, nameSkeleton } from '../../src/text/nameLooks.ts';
import { tempDir } from '../support/testKey.ts';

const KEY = Buffer.alloc(32, 7).toString('base64url');
const OTHER = Buffer.alloc(32, 9).toString('base64url');

/** A public key as base64url, as a pin holds it. */
const keyArb = fc
  .uint8Array({ minLength: 32, maxLength: 32 })
  .map((bytes) => Buffer.from(bytes).toString('base64url'));
/** Names the client would pin: valid, without invisible characters. */
const nameArb = fc
  .string({ unit: 'grapheme', minLength: 1, maxLength: 20 })
  .filter(
    (name) =>
      nameSchema.safeParse(name).success &&
      nameSchema.parse(name) === name &&
      invisibleIn(name) === undefined,
  );

describe('the pinned-names file', () => {
  it('reads key-then-name lines, skipping comments, blank lines and CRs; a name may hold spaces', () => {
    const text = `# pins\n\n${KEY} bob\r\n  # indented comment\n${OTHER} Mary Ann\n`;
    expect(parsePinnedNames(text)).toEqual({
      pins: [
        { name: 'bob', key: KEY },
        { name: 'Mary Ann', key: OTHER },
      ],
      problems: [],
    });
  });

  it('leaves out what it cannot use, one line each saying why, and uses the rest', () => {
    const text = [
      `${KEY} bob`,
      'not a key line',
      `${KEY.slice(1)} short`,
      `${KEY}`,
      `${OTHER} bo\u200bb`,
      `${OTHER} Bob`,
      `${OTHER} carol`,
    ].join('\n');
    const { pins, problems } = parsePinnedNames(text);
    expect(pins).toEqual([
      { name: 'bob', key: KEY },
      { name: 'carol', key: OTHER },
    ]);
    expect(problems).toEqual([
      'line 2: does not start with a public key (43 base64url characters)',
      'line 3: does not start with a public key (43 base64url characters)',
      'line 4: not a name after the key (a name needs at least one character)',
      'line 5: the name holds an invisible character (U+200B)',
      'line 6: "Bob" is the name on line 1 (names are compared ignoring case and look-alike letters); line 1 is kept',
    ]);
  });

  it('fuzzed: any text is read without throwing, and every pin it gives is a valid one', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ unit: 'binary', maxLength: 400 }),
          fc
            .array(
              fc.oneof(
                fc.constant(`${KEY} `),
                fc.constant('#'),
                fc.constant('\n'),
                fc.constant('\r'),
                fc.string({ maxLength: 30 }),
              ),
              { maxLength: 30 },
            )
            .map((parts) => parts.join('')),
        ),
        (text) => {
          const { pins, problems } = parsePinnedNames(text);
          const skeletons = new Set<string>();
          for (const pin of pins) {
            expect(pin.key).toMatch(/^[A-Za-z0-9_-]{43}$/);
            expect(nameSchema.safeParse(pin.name).success).toBe(true);
            expect(invisibleIn(pin.name)).toBeUndefined();
            skeletons.add(nameSkeleton(pin.name));
          }
          expect(skeletons.size).toBe(pins.length);
          for (const problem of problems) expect(problem).toMatch(/^line \d+: [^\n]+$/);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('fuzzed: pins written one by one are read back, the last key of each name kept', () => {
    fc.assert(
      fc.property(fc.array(fc.record({ name: nameArb, key: keyArb }), { maxLength: 12 }), (pins: Pin[]) => {
        let text = '';
        const expected = new Map<string, Pin>();
        for (const pin of pins) {
          text = withPin(text, pin);
          const skeleton = nameSkeleton(pin.name);
          // The line of a name keeps its place and takes the new name and key.
          expected.set(skeleton, pin);
        }
        const read = parsePinnedNames(text);
        expect(read.problems).toEqual([]);
        expect(new Map(read.pins.map((pin) => [nameSkeleton(pin.name), pin]))).toEqual(expected);
      }),
      { numRuns: 500 },
    );
  });

  it('setting a pin keeps every other line as it was, comments and hand edits included', () => {
    const text = `# mine\n${KEY} bob\n# a note about carol\n${OTHER} carol\n`;
    expect(withPin(text, { name: 'bob', key: OTHER })).toBe(
      `# mine\n${pinLine({ name: 'bob', key: OTHER })}\n# a note about carol\n${OTHER} carol\n`,
    );
    expect(withPin(text, { name: 'dave', key: KEY })).toBe(`${text}${KEY} dave\n`);
  });

  it('on disk: a missing file is no pins; savePin creates it with a header, mode 0600; a directory is refused', () => {
    const { dir, cleanup } = tempDir();
    try {
      const path = join(dir, 'pinned-names');
      expect(readPinnedNamesText(path)).toBe('');
      savePin(path, { name: 'bob', key: KEY });
      // Another client sharing the file pins someone else meanwhile: both pins stay.
      writeFileSync(path, `${readFileSync(path, 'utf8')}${OTHER} carol\n`);
      savePin(path, { name: 'dave', key: OTHER });
      expect(readFileSync(path, 'utf8')).toMatch(/^# fernet-chat pinned names/);
      expect(parsePinnedNames(readPinnedNamesText(path)).pins.map((pin) => pin.name)).toEqual([
        'bob',
        'carol',
        'dave',
      ]);
      expect(statSync(path).mode & 0o777).toBe(0o600);
      expect(() => readPinnedNamesText(dir)).toThrow(PinnedNamesFileError);
      expect(() => readPinnedNamesText(dir)).toThrow(`pinned-names file ${dir} is not a regular file`);
    } finally {
      cleanup();
    }
  });
});
