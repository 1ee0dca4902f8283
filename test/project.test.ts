import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from './support/bins.ts';
import { sourceFiles } from './support/sourceFiles.ts';

// Issue 2, item 1 and SPEC §6: the skeleton and what may be shipped at run time.
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));

describe('the project', () => {
  it('is an ESM package for Node >= 20 with the scripts the README uses', () => {
    expect(pkg.type).toBe('module');
    expect(pkg.engines.node).toBe('>=20');
    // The bins run compiled; npm ci builds them (prepare), and each script rebuilds first.
    expect(pkg.scripts.start).toBe('node dist/bin/hub.js');
    expect(pkg.scripts.client).toBe('node dist/bin/client.js');
    expect(pkg.scripts.prepare).toBe('npm run build');
    expect(pkg.scripts.prestart).toContain('build');
    for (const script of ['test', 'typecheck', 'lint']) expect(pkg.scripts[script], script).toBeDefined();
    expect(existsSync(join(ROOT, 'package-lock.json'))).toBe(true);
  });

  it('depends at run time on rxjs 7 and zod, with fernet only as a test oracle', () => {
    expect(pkg.dependencies.rxjs).toMatch(/^\^?7\./);
    expect(pkg.dependencies.zod).toBeDefined();
    expect(pkg.dependencies.fernet).toBeUndefined();
    expect(pkg.devDependencies.fernet).toBeDefined();
  });

  it('never imports the fernet package (crypto-js) or test code from src', () => {
    const offenders = sourceFiles(join(ROOT, 'src')).filter((file) => {
      const text = readFileSync(file, 'utf8');
      return /from ['"](fernet|crypto-js)['"]/.test(text) || /from ['"][./]*test\//.test(text);
    });
    expect(offenders).toEqual([]);
  });

  it('type-checks strictly', () => {
    const tsconfig = JSON.parse(readFileSync(join(ROOT, 'tsconfig.json'), 'utf8'));
    expect(tsconfig.compilerOptions.strict).toBe(true);
  });

  it('has a README with the two commands, and a CI script that runs the test command', () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    expect(readme).toContain('npm ci && npm start');
    expect(readme).toMatch(/^npm test\b/m);
    expect(readFileSync(join(ROOT, '.ci/run'), 'utf8')).toMatch(/^npm test$/m);
  });
});
