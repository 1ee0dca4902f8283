#!/usr/bin/env node
// Builds dist/ with tsc only when a source is newer than the last build, so that `npm start` and
// the other bins' scripts start in a fraction of a second when nothing changed, and still never
// run stale code. `--force` always builds (npm run build, prepare).
//
// Plain JavaScript on purpose: it runs before anything is compiled, and tsx would cost as much
// start-up time as this saves.
import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import process from 'node:process';
import { fileURLToPath, URL } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const stamp = join(root, 'dist', '.build-stamp');
/** What the build reads besides src/: a change to either changes what tsc emits. */
const INPUTS = ['tsconfig.json', 'tsconfig.build.json', 'package.json'];

/**
 * Newest modification time under `dir`, directories included: deleting or renaming a source
 * changes its directory's mtime, and the build must then run again.
 */
function newest(dir) {
  let latest = statSync(dir).mtimeMs;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    latest = Math.max(latest, entry.isDirectory() ? newest(path) : statSync(path).mtimeMs);
  }
  return latest;
}

/** The bins package.json names: a build that lost one (dist/bin removed by hand) is stale. */
function binsMissing() {
  const { bin = {} } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  return Object.values(bin).some((file) => !existsSync(join(root, file)));
}

function stale() {
  if (!existsSync(stamp) || binsMissing()) return true;
  const built = statSync(stamp).mtimeMs;
  const inputs = Math.max(newest(join(root, 'src')), ...INPUTS.map((f) => statSync(join(root, f)).mtimeMs));
  return inputs >= built;
}

if (process.argv.includes('--force') || stale()) {
  // tsc's incremental build trusts its record of what it emitted: without it, it emits every file
  // again, which a build that lost files needs.
  if (binsMissing()) rmSync(join(root, 'dist', '.tsbuildinfo'), { force: true });
  // The stamp carries the time tsc started: a file edited while tsc runs is newer, and rebuilds next time.
  const started = new Date();
  const tsc = spawnSync(
    process.execPath,
    [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(root, 'tsconfig.build.json')],
    { stdio: 'inherit' },
  );
  if (tsc.status !== 0) process.exit(tsc.status ?? 1);
  // The web client's page, served by the hub (src/hub/webPage.ts), where its sources are.
  if (existsSync(join(root, 'src', 'web', 'main.ts'))) {
    const web = spawnSync(process.execPath, [join(root, 'scripts', 'build-web.mjs')], { stdio: 'inherit' });
    if (web.status !== 0) process.exit(web.status ?? 1);
  }
  // The bins are run by path (npm link, a global install, dist/bin/hub.js): tsc keeps their
  // shebang line but not an executable mode.
  const bins = join(root, 'dist', 'bin');
  for (const file of readdirSync(bins)) if (file.endsWith('.js')) chmodSync(join(bins, file), 0o755);
  writeFileSync(stamp, `${started.toISOString()}\n`);
  utimesSync(stamp, started, started);
}
