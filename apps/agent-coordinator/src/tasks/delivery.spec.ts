import { describe, expect, it } from '@jest/globals';
import { interpret } from './delivery';

describe('delivery replies', () => {
  it('treats completed/failed as a synchronous result and anything else as accepted', () => {
    expect(interpret({ status: 'completed', result: { x: 1 } })).toEqual({
      status: 'completed',
      result: { x: 1 },
    });
    expect(interpret({ status: 'failed', error: 'boom' })).toEqual({
      status: 'failed',
      error: 'boom',
    });
    expect(interpret({ accepted: false, error: 'full' })).toEqual({
      status: 'failed',
      error: 'full',
    });
    expect(interpret({ accepted: true })).toEqual({ status: 'accepted' });
    expect(interpret(null)).toEqual({ status: 'accepted' });
  });
});
