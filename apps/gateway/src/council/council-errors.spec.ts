import { describe, expect, it } from '@jest/globals';
import type { Request, Response } from 'express';
import { errorReply } from '../http/error-shapes';
import { codeForStatus, councilError } from './council-errors';

const at = (path: string) => ({ path }) as Request;
const res = (id?: string) => ({ getHeader: () => id }) as unknown as Response;

describe('the AI council error envelope', () => {
  it('answers every /api/v1 path in {error: {code, message, details, retryable}, requestId, timestamp}', () => {
    const r = errorReply(at('/api/v1/requests'), res('req-1'), 401, 'Not authenticated');
    expect(r.status).toBe(401);
    expect(r.body).toEqual({
      error: { code: 'UNAUTHORIZED', message: 'Not authenticated', details: {}, retryable: false },
      requestId: 'req-1',
      timestamp: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
    });
    expect((errorReply(at('/API/V1/unknown'), res(), 404, 'Cannot GET').body as { error: { code: string } }).error.code).toBe('NOT_FOUND');
  });

  it('turns a validation failure into 400 INVALID_REQUEST with the fields as details', () => {
    const fields = [{ loc: ['body', 'query'], msg: 'query must be a string', type: 'isString' }];
    const r = errorReply(at('/api/v1/requests'), res(), 422, fields);
    expect(r.status).toBe(400);
    expect(r.body).toMatchObject({ error: { code: 'INVALID_REQUEST', message: 'query must be a string', details: { fields }, retryable: false } });
  });

  it("keeps a code the failure names, and the document's retryable flags", () => {
    expect(councilError(503, 'x', { code: 'SERVICE_UNAVAILABLE' }).error).toMatchObject({ code: 'SERVICE_UNAVAILABLE', retryable: true });
    expect(councilError(429, 'slow down').error).toMatchObject({ code: 'RATE_LIMIT_EXCEEDED', retryable: true });
    expect(councilError(500, 'x', { code: 'MINIMUM_QUORUM_NOT_MET' }).error).toMatchObject({ code: 'MINIMUM_QUORUM_NOT_MET', retryable: true });
    expect(councilError(500, 'x', { code: 'NO_SUCH_CODE' }).error.code).toBe('INTERNAL_ERROR');
    expect([400, 404, 408, 409, 413, 503, 504, 502].map(codeForStatus)).toEqual([
      'INVALID_REQUEST',
      'NOT_FOUND',
      'TIMEOUT',
      'CONFLICT',
      'PAYLOAD_TOO_LARGE',
      'SERVICE_UNAVAILABLE',
      'TIMEOUT',
      'INTERNAL_ERROR',
    ]);
  });

  it("leaves the other APIs' shapes alone", () => {
    expect(errorReply(at('/v1/jobs/async/submit'), res(), 422, 'x')).toEqual({ status: 422, body: { detail: 'x' } });
  });
});
