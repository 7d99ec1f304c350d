import { Script } from 'node:vm';
import { describe, expect, it } from '@jest/globals';
import { DEBUG_CONSOLE_HTML } from './debug-console.page';

describe('debug console page', () => {
  const script = /<script>([\s\S]*)<\/script>/.exec(DEBUG_CONSOLE_HTML)?.[1] ?? '';

  it('ships browser code that parses', () => {
    expect(script.length).toBeGreaterThan(100);
    // Compiled, not run: a syntax error in the embedded page would fail here.
    expect(() => new Script(script)).not.toThrow();
  });

  it('streams with EventSource through a stream ticket instead of a token in the URL', () => {
    expect(script).toContain('new EventSource(url)');
    expect(script).toContain('/stream-ticket');
    expect(script).not.toMatch(/access_token|[?&]token=/);
  });
});
