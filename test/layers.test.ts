import { readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from './support/bins.ts';
import { sourceFiles } from './support/sourceFiles.ts';

/**
 * The layers, lowest first: a module may import from its own layer or one below, never above,
 * so that the pure middle never depends on the wiring that uses it, and a lower module can be
 * tested (and reused) alone.
 */
const LAYERS: readonly (readonly string[])[] = [
  ['text', 'crypto', 'protocol', 'config', 'streams'],
  ['actors', 'recording', 'cluster'],
  ['hub', 'client', 'replay', 'bench', 'web'],
  ['bin'],
];

const SRC = join(ROOT, 'src');

function layerOf(folder: string): number {
  const layer = LAYERS.findIndex((folders) => folders.includes(folder));
  if (layer < 0) throw new Error(`src/${folder} is in no layer: add it to LAYERS`);
  return layer;
}

/** `from '../actors/x.ts'` in src/config/y.ts: config imports from actors. */
function upwardImports(): string[] {
  const found: string[] = [];
  for (const file of sourceFiles(SRC)) {
    const folder = relative(SRC, file).split('/')[0]!;
    for (const match of readFileSync(file, 'utf8').matchAll(/from '\.\.\/([a-z]+)\//g)) {
      const target = match[1]!;
      if (layerOf(target) > layerOf(folder)) found.push(`${relative(ROOT, file)} imports from src/${target}`);
    }
  }
  return found;
}

describe('the layers of src', () => {
  it('import only from their own layer or below (bin > hub, client, replay > actors > streams, protocol, crypto, config)', () => {
    expect(upwardImports()).toEqual([]);
  });
});
