import { describe, expect, it } from '@jest/globals';
import { eventFrame, LIVE_MODE_FRAME, parseEventId } from './sse';

describe('SSE frames', () => {
  it('frames a logged event with its seq as id and the stored JSON as data', () => {
    const frame = eventFrame({ seq: 7, type: 'llm.chunk', timestamp: '2026-01-01T00:00:00.000Z', data: { content: 'a\nb' } });
    expect(frame).toBe('id: 7\nevent: llm.chunk\ndata: {"type":"llm.chunk","timestamp":"2026-01-01T00:00:00.000Z","data":{"content":"a\\nb"}}\n\n');
  });

  it('never gives the live-mode frame an id', () => {
    expect(LIVE_MODE_FRAME).not.toMatch(/^id:/m);
    expect(LIVE_MODE_FRAME).toBe('event: stream.mode\ndata: {"mode":"live"}\n\n');
  });

  it.each([
    [undefined, undefined],
    ['', undefined],
    ['0', 0],
    [' 42 ', 42],
    ['-1', NaN],
    ['1e3', NaN],
    ['abc', NaN],
    ['9999999999999999', NaN],
  ])('parses resume point %p as %p', (raw, expected) => {
    expect(parseEventId(raw)).toBe(expected);
  });
});
