import { describe, expect, it } from '@jest/globals';
import { checkJsonValue, MAX_JSON_DEPTH, nestingDepth, UnacceptableJsonBody, verifyJsonBytes } from './json-body';

const verify = (body: string | Buffer) => () => verifyJsonBytes({} as never, undefined, Buffer.isBuffer(body) ? body : Buffer.from(body));

describe('JSON body checks', () => {
  it('measures nesting outside strings only', () => {
    expect(nestingDepth(Buffer.from('{"a":[1,{"b":[]}]}'))).toBe(4);
    expect(nestingDepth(Buffer.from('{"a":"[[[[{{{{\\"[[["}'))).toBe(1);
    expect(nestingDepth(Buffer.from('"x"'))).toBe(0);
  });

  it('refuses invalid UTF-8 and nesting past the limit, accepts the rest', () => {
    expect(verify(Buffer.from([0x7b, 0x22, 0xff, 0x22, 0x7d]))).toThrow(UnacceptableJsonBody);
    expect(verify('['.repeat(MAX_JSON_DEPTH + 1) + ']'.repeat(MAX_JSON_DEPTH + 1))).toThrow(/nesting/);
    expect(verify('['.repeat(MAX_JSON_DEPTH) + ']'.repeat(MAX_JSON_DEPTH))).not.toThrow();
    expect(verify('{"input":"héllo ✓ 日本"}')).not.toThrow();
  });

  it('refuses NUL characters and prototype keys anywhere, through JSON.parse', () => {
    for (const text of ['{"a":"x\\u0000"}', '{"a\\u0000":1}', '{"__proto__":{}}', '{"a":{"constructor":1}}', '[{"prototype":1}]']) {
      expect(() => JSON.parse(text, checkJsonValue)).toThrow(UnacceptableJsonBody);
    }
    expect(JSON.parse('{"a":{"b":["c"]},"proto":1}', checkJsonValue)).toEqual({ a: { b: ['c'] }, proto: 1 });
  });
});
