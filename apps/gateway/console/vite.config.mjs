// The debug console (/debug): a Preact app bundled by Vite into dist/apps/gateway/console, which the
// gateway serves as static files (apps/gateway/src/console/). Built by scripts/lib/build.mjs with the
// gateway. No inline script or style, no eval, no CDN: the page runs under a strict CSP, offline.
import path from 'node:path';
import { defineConfig } from 'vite';

const ROOT = path.resolve(import.meta.dirname, '../../..');

export default defineConfig({
  root: import.meta.dirname,
  base: '/debug/',
  logLevel: 'warn',
  publicDir: false,
  build: {
    outDir: path.join(ROOT, 'dist/apps/gateway/console'),
    emptyOutDir: true,
    assetsDir: 'assets',
    // Everything as files: a data: URI or an inline script would need a looser CSP.
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    sourcemap: true,
    target: 'es2022',
  },
});
