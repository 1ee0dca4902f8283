import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { configTables } from '../src/config/configTables.ts';

const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');

describe('the README', () => {
  it('shows the configuration tables exactly as the schemas define them (regenerate: npx tsx scripts/config-table.ts)', () => {
    expect(readme).toContain(configTables());
  });

  it('gives the two set-up commands', () => {
    expect(readme).toContain('npm ci && npm start');
    expect(readme).toMatch(/^npm test\b/m);
  });
});
