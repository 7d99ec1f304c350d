import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { CONSOLE_CSP, findConsoleDir, loadConsoleFiles } from './console-files';

describe('debug console files', () => {
  it('finds the first built directory and serves its files with their content types', () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'console-'));
    const built = path.join(root, 'built');
    fs.mkdirSync(path.join(built, 'assets'), { recursive: true });
    fs.writeFileSync(path.join(built, 'index.html'), '<!doctype html>');
    fs.writeFileSync(path.join(built, 'assets', 'index-abc.js'), 'export {}');
    fs.writeFileSync(path.join(built, 'assets', 'index-abc.css'), 'body{}');
    expect(findConsoleDir([path.join(root, 'missing'), built])).toBe(built);
    expect(findConsoleDir([path.join(root, 'missing')])).toBeNull();
    const files = loadConsoleFiles(built);
    expect(files.index.type).toBe('text/html; charset=utf-8');
    expect(files.assets.get('index-abc.js')?.type).toBe('text/javascript; charset=utf-8');
    expect(files.assets.get('index-abc.css')?.body.toString()).toBe('body{}');
    fs.rmSync(root, { recursive: true, force: true });
  });

  it('allows no inline script, no eval and no other origin', () => {
    expect(CONSOLE_CSP).toContain("script-src 'self'");
    expect(CONSOLE_CSP).not.toMatch(/unsafe-inline|unsafe-eval|\*|https?:/);
    expect(CONSOLE_CSP).toContain("default-src 'none'");
  });
});
