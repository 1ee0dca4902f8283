import { readFileSync } from 'node:fs';

/** One file of the web client, as it is served. */
export interface PageFile {
  readonly body: Buffer;
  readonly type: string;
}

/**
 * Where `npm run build` puts the page: dist/web, reached the same way from src/hub (tsx) and
 * from dist/hub (the built hub).
 */
export const PAGE_DIR = new URL('../../dist/web/', import.meta.url);

/**
 * The only paths served, each to one file read once at start. Nothing in a request's path ever
 * reaches the file system, so no form of `..` can lead anywhere else.
 */
const FILES: Readonly<Record<string, { file: string; type: string }>> = {
  '/': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/app.js': { file: 'app.js', type: 'text/javascript; charset=utf-8' },
  '/app.css': { file: 'app.css', type: 'text/css; charset=utf-8' },
  '/icon.svg': { file: 'icon.svg', type: 'image/svg+xml' },
};

/**
 * The page's own rules: scripts, styles and images from this origin only (no inline script or
 * style, nothing from elsewhere), WebSocket to this origin, no frames, forms, plugins or base.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** The page's files by path, or undefined when the page has not been built (dist/web missing). */
export function readPage(dir: URL = PAGE_DIR): ReadonlyMap<string, PageFile> | undefined {
  const page = new Map<string, PageFile>();
  for (const [path, { file, type }] of Object.entries(FILES)) {
    try {
      page.set(path, { body: readFileSync(new URL(file, dir)), type });
    } catch {
      return undefined;
    }
  }
  return page;
}
