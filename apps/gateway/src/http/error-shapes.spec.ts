import { describe, expect, it } from '@jest/globals';
import type { Request } from 'express';
import { detailMessage, errorBody } from './error-shapes';

const at = (path: string) => ({ path }) as Request;

describe('error bodies by API', () => {
  it('keeps {"detail"} on the job, coordinator and knowledge routes', () => {
    expect(errorBody(at('/v1/jobs/async/submit'), 422, [{ loc: ['body', 'input'], msg: 'input must be a string', type: 'isString' }])).toEqual({
      detail: [{ loc: ['body', 'input'], msg: 'input must be a string', type: 'isString' }],
    });
    expect(errorBody(at('/agents/x'), 404, 'Agent not found')).toEqual({ detail: 'Agent not found' });
    expect(errorBody(at('/service_run_other'), 404, 'Cannot POST')).toEqual({ detail: 'Cannot POST' });
  });

  it('answers the service API in its envelope, a validation list as its messages', () => {
    for (const path of [
      '/service_run',
      '/service_run_stream',
      '/service_run_async',
      '/service_run_result',
      '/service_run_cancel',
      '/agent/list',
      '/SERVICE_RUN/',
    ]) {
      expect(errorBody(at(path), 413, 'Request body too large')).toEqual({ success: false, result: null, message: 'Request body too large', request_id: null });
    }
    const list = [
      { loc: ['body', 'service_id'], msg: 'service_id must be a string', type: 'isString' },
      { loc: ['body', 'params'], msg: 'params must be an object', type: 'isObject' },
    ];
    expect(errorBody(at('/service_run'), 422, list)).toMatchObject({ message: 'service_id must be a string; params must be an object' });
  });

  it("answers the OpenAI-compatible routes in OpenAI's shape", () => {
    for (const path of ['/v1/chat/completions', '/chat/completions', '/v1/models', '/v1/models/demo_service']) {
      expect(errorBody(at(path), 401, 'Not authenticated')).toEqual({
        error: { message: 'Not authenticated', type: 'invalid_request_error', param: null, code: 'invalid_api_key' },
      });
    }
  });

  it('turns any detail into one sentence', () => {
    expect(detailMessage('x')).toBe('x');
    expect(detailMessage([{ msg: 'a' }, 'b'])).toBe('a; b');
    expect(detailMessage({ a: 1 })).toBe('{"a":1}');
  });
});
