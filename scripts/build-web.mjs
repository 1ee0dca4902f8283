#!/usr/bin/env node
// Builds the web client into dist/web: the page's script bundled by esbuild (the client actor,
// its streams and Web Crypto Fernet, with rxjs and zod, into one file the page's CSP allows),
// and its HTML, CSS and icon copied as they are. Run by build-if-stale.mjs after tsc.
//
// Node's `crypto` is replaced by src/web/nodeCryptoShim.ts (SHA-256 and random bytes only) and
// `Buffer` by the `buffer` package (src/web/bufferShim.ts): the code the page shares with the
// terminal client uses them outside Fernet.
import { copyFileSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, URL } from 'node:url';
import { build } from 'esbuild';

// `zod` itself (not its subpaths) resolves to a `z` of the page's own, with only the members that
// src/ uses (`z.name` anywhere in it): the package's `z` namespace brings all of zod along,
// every language's error messages included, and esbuild keeps a namespace whole once it is used
// (360 KB of the page's 570). The English messages are still registered, by the first schema made.
const zodByName = {
  name: 'zod-by-name',
  setup(build) {
    build.onResolve({ filter: /^zod$/ }, () => ({ path: 'zod', namespace: 'page-zod' }));
    build.onResolve({ filter: /^page-zod-members$/ }, () => ({ path: 'members', namespace: 'page-zod' }));
    build.onLoad({ filter: /.*/, namespace: 'page-zod' }, async ({ path }) => {
      if (path === 'zod') return { contents: "export * as z from 'page-zod-members';", loader: 'js' };
      const zod = await import('zod/v4');
      const members = [...membersOfZUsedIn(join(root, 'src'))].filter((name) => name in zod);
      return { contents: `export { ${members.join(', ')} } from 'zod/v4';`, loader: 'js', resolveDir: root };
    });
  },
};

/** Every `z.name` in the TypeScript files under `dir` (also across a line break, `z\n  .object`). */
function membersOfZUsedIn(dir) {
  const names = new Set();
  for (const entry of readdirSync(dir, { recursive: true })) {
    if (!entry.endsWith('.ts')) continue;
    for (const [, name] of readFileSync(join(dir, entry), 'utf8').matchAll(/\bz\s*\.\s*([A-Za-z_$][\w$]*)/g))
      names.add(name);
  }
  return names;
}

const root = fileURLToPath(new URL('..', import.meta.url));
const source = join(root, 'src', 'web');
const out = join(root, 'dist', 'web');
mkdirSync(out, { recursive: true });

const result = await build({
  entryPoints: [join(source, 'main.ts')],
  outfile: join(out, 'app.js'),
  bundle: true,
  format: 'esm',
  platform: 'browser',
  // Browsers with Web Crypto's AES-CBC, ES2022 classes and `structuredClone`-era APIs.
  target: ['chrome110', 'firefox115', 'safari16'],
  minify: true,
  legalComments: 'none',
  alias: { 'node:crypto': join(source, 'nodeCryptoShim.ts') },
  inject: [join(source, 'bufferShim.ts')],
  plugins: [zodByName],
  logLevel: 'warning',
});
// What esbuild warns of (an import it cannot match, a dubious construct) would ship broken.
if (result.warnings.length > 0) throw new Error('the page was built with warnings (above): not shipped');
for (const file of ['index.html', 'app.css', 'icon.svg']) copyFileSync(join(source, file), join(out, file));
