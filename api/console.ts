import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import express, { type Router } from 'express';

const require = createRequire(import.meta.url);
/** Not every package exports ./package.json: walk up from its entry point to the package folder. */
function packageDir(name: string): string {
  let dir = path.dirname(require.resolve(name));
  while (path.basename(dir) !== name && path.dirname(dir) !== dir) dir = path.dirname(dir);
  return dir;
}
const webDir = fileURLToPath(new URL('../web/', import.meta.url));

/** Bare specifiers the console imports, mapped to the vendor files served below: no bundler. */
const importMap = JSON.stringify({
  imports: {
    preact: '/vendor/preact/dist/preact.mjs',
    'preact/hooks': '/vendor/preact/hooks/dist/hooks.mjs',
    htm: '/vendor/htm/dist/htm.mjs',
    uplot: '/vendor/uplot/dist/uPlot.esm.js',
  },
});

/** The CSP allows exactly this inline import map by its hash; every script stays 'self'. */
export const importMapHash = `'sha256-${createHash('sha256').update(importMap).digest('base64')}'`;

const page = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>exception-desk</title><link rel="icon" href="data:,">
<link rel="stylesheet" href="/vendor/uplot/dist/uPlot.min.css"><link rel="stylesheet" href="/console/style.css">
<script type="importmap">${importMap}</script>
<script type="module" src="/console/app.js"></script></head>
<body><div id="app"><p>Loading the console…</p></div><noscript>The console needs JavaScript; the API is at <a href="/docs">/docs</a>.</noscript></body></html>`;

/** The web console at `/`: plain ES modules from web/ and the vendor packages straight from node_modules. */
export function consoleRouter(): Router {
  const router = express.Router();
  router.get('/', (_req, res) => {
    res.type('html').send(page);
  });
  router.use('/console', express.static(webDir, { index: false }));
  for (const name of ['preact', 'htm', 'uplot']) {
    router.use(`/vendor/${name}`, express.static(packageDir(name), { index: false, maxAge: '1h' }));
  }
  return router;
}
