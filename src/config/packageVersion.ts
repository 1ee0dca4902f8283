import { readFileSync } from 'node:fs';

/**
 * The version in package.json, for `--version`. Read when asked, not at start-up: src/bin and
 * dist/bin are both two folders below the package root.
 */
export function packageVersion(): string {
  const text = readFileSync(new URL('../../package.json', import.meta.url), 'utf8');
  return String((JSON.parse(text) as { version?: unknown }).version ?? 'unknown');
}
