#!/usr/bin/env node
// Builds the web client into dist/web: the page's script bundled by esbuild (the client actor,
// its streams and Web Crypto Fernet, with rxjs and zod, into one file the page's CSP allows),
// and its HTML, CSS and icon copied as they are. Run by build-if-stale.mjs after tsc.
//
// Node's `crypto` is replaced by src/web/nodeCryptoShim.ts (SHA-256 and random bytes only) and
// `Buffer` by the `buffer` package (src/web/bufferShim.ts): the code the page shares with the
// terminal client uses them outside Fernet.
import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, URL } from 'node:url';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('..', import.meta.url));
const source = join(root, 'src', 'web');
const out = join(root, 'dist', 'web');
mkdirSync(out, { recursive: true });

await build({
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
  logLevel: 'warning',
});
for (const file of ['index.html', 'app.css', 'icon.svg']) copyFileSync(join(source, file), join(out, file));
