import fs from 'node:fs';
import path from 'node:path';

/**
 * The debug console's built files (Vite, from apps/gateway/console into dist/apps/gateway/console, by
 * `npm run build`). Found next to the running gateway's dist (dist/apps/gateway/apps/gateway/src/main.js
 * → dist/apps/gateway/console), else under the working directory. Read once and kept in memory: a
 * handful of small files, served with their own content types.
 */
export interface ConsoleFile {
  body: Buffer;
  type: string;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.woff2': 'font/woff2',
};

/** The directory holding index.html and assets/, or null when the console was not built. */
export function findConsoleDir(candidates = defaultCandidates()): string | null {
  return candidates.find((dir) => fs.existsSync(path.join(dir, 'index.html'))) ?? null;
}

function defaultCandidates(): string[] {
  const out: string[] = [];
  const main = process.argv[1];
  // dist/apps/gateway/apps/gateway/src/main.js → dist/apps/gateway/console
  if (main) out.push(path.resolve(path.dirname(main), '../../../console'));
  out.push(path.resolve(process.cwd(), 'dist/apps/gateway/console'));
  return out;
}

/** index.html and every file of assets/ by name. */
export function loadConsoleFiles(dir: string): { index: ConsoleFile; assets: Map<string, ConsoleFile> } {
  const read = (file: string): ConsoleFile => ({ body: fs.readFileSync(file), type: TYPES[path.extname(file)] ?? 'application/octet-stream' });
  const assets = new Map<string, ConsoleFile>();
  const assetDir = path.join(dir, 'assets');
  if (fs.existsSync(assetDir)) for (const name of fs.readdirSync(assetDir)) assets.set(name, read(path.join(assetDir, name)));
  return { index: read(path.join(dir, 'index.html')), assets };
}

/**
 * The console's Content-Security-Policy: scripts and styles from this origin only (no inline code, no
 * eval), calls to this origin only, no images or frames from anywhere, no framing of the page.
 */
export const CONSOLE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "connect-src 'self'",
  "img-src 'self'",
  "font-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');
