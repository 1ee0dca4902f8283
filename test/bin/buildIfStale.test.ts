import { execFileSync, spawnSync } from 'node:child_process';
import {
  copyFileSync,
  mkdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ROOT } from '../support/bins.ts';
import { tempDir } from '../support/testKey.ts';

// Issue "a terminal client people choose", part 7: `npm start` builds only when a source changed,
// and the bins are executables with a shebang, as `npx`, `npm link` and a global install need.
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  bin: Record<string, string>;
  scripts: Record<string, string>;
};

let dir: string;
let cleanup: () => void;
beforeEach(() => {
  ({ dir, cleanup } = tempDir());
});
afterEach(() => cleanup());

/** A project of one bin beside the real build script, tsconfigs and node_modules. */
function project(): void {
  mkdirSync(join(dir, 'scripts'));
  mkdirSync(join(dir, 'src', 'bin'), { recursive: true });
  copyFileSync(join(ROOT, 'scripts', 'build-if-stale.mjs'), join(dir, 'scripts', 'build-if-stale.mjs'));
  for (const file of ['tsconfig.json', 'tsconfig.build.json'])
    copyFileSync(join(ROOT, file), join(dir, file));
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ ...pkg, bin: { hello: 'dist/bin/hello.js' } }));
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
  writeFileSync(join(dir, 'src', 'bin', 'hello.ts'), "#!/usr/bin/env node\nconsole.log('hello');\n");
}

function build(): number {
  const run = spawnSync(process.execPath, [join(dir, 'scripts', 'build-if-stale.mjs')], { encoding: 'utf8' });
  expect(run.status, run.stderr).toBe(0);
  return statSync(join(dir, 'dist', '.build-stamp')).mtimeMs;
}

describe('build-if-stale', () => {
  it('builds executable bins that keep their shebang, and builds again only when a source changed', () => {
    project();
    const first = build();
    const bin = join(dir, 'dist', 'bin', 'hello.js');
    expect(readFileSync(bin, 'utf8').split('\n')[0]).toBe('#!/usr/bin/env node');
    expect(statSync(bin).mode & 0o111).toBe(0o111);
    expect(execFileSync(bin, { encoding: 'utf8' })).toBe('hello\n');

    expect(build()).toBe(first); // nothing changed: no tsc

    const later = new Date(first + 2_000);
    writeFileSync(join(dir, 'src', 'bin', 'hello.ts'), "#!/usr/bin/env node\nconsole.log('again');\n");
    utimesSync(join(dir, 'src', 'bin', 'hello.ts'), later, later);
    const second = build();
    expect(second).toBeGreaterThan(first);
    expect(execFileSync(bin, { encoding: 'utf8' })).toBe('again\n');

    // A bin that went missing from dist/ is built again, though no source changed.
    rmSync(bin);
    expect(build()).toBeGreaterThanOrEqual(second);
    expect(execFileSync(bin, { encoding: 'utf8' })).toBe('again\n');
  });
});

describe('the bins', () => {
  it('are in package.json as fernet-chat-*, each a compiled file whose source starts with a shebang', () => {
    expect(Object.keys(pkg.bin).sort()).toEqual([
      'fernet-chat-bench',
      'fernet-chat-client',
      'fernet-chat-hub',
      'fernet-chat-keygen',
      'fernet-chat-replay',
    ]);
    for (const [name, file] of Object.entries(pkg.bin)) {
      expect(file, name).toBe(`dist/bin/${name.replace('fernet-chat-', '')}.js`);
      const source = join(ROOT, file.replace(/^dist/, 'src').replace(/\.js$/, '.ts'));
      expect(readFileSync(source, 'utf8').split('\n')[0], source).toBe('#!/usr/bin/env node');
    }
  });

  it('are built before npm runs them only through the staleness check, not an unconditional tsc', () => {
    for (const script of ['prestart', 'prehub', 'preclient', 'prekeygen', 'prereplay', 'prebench'])
      expect(pkg.scripts[script], script).toBe('node scripts/build-if-stale.mjs');
  });
});
