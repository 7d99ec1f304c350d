import { ErrorCode, isRemoteErrorBody, remoteError, type RemoteErrorBody } from '@platform/contracts';

/** A typed failure from another service (or from reaching it). Carries the HTTP status to answer with. */
export class RemoteError extends Error {
  override name = 'RemoteError';
  /** `answered`: the other service replied with this error (it was reached), as opposed to no reply or nobody listening. */
  constructor(
    readonly body: RemoteErrorBody,
    readonly answered = false,
  ) {
    super(body.message);
  }
  get status(): number {
    return this.body.status;
  }
  get code(): ErrorCode {
    return this.body.code;
  }

  static from(err: unknown, subject: string): RemoteError {
    if (err instanceof RemoteError) return err;
    if (isRemoteErrorBody(err)) return new RemoteError(err, true);
    const e = err as { name?: string; message?: string; code?: string };
    if (e?.name === 'TimeoutError') {
      // 504, not 503: the request may have been carried out (a 503 says it was not). A retry with the
      // same job_id or Idempotency-Key is safe either way.
      return new RemoteError(remoteError(ErrorCode.TIMEOUT, `No reply on ${subject} in time`));
    }
    // Nest's EmptyResponseException and the NATS 503 both mean nobody is listening.
    const msg = e?.message ?? String(err);
    if (e?.name === 'EmptyResponseException' || /no (subscribers|responders)|503|CONNECTION|Connection lost|closed/i.test(msg)) {
      return new RemoteError(remoteError(ErrorCode.SERVICE_UNAVAILABLE, `Service for ${subject} is unavailable`));
    }
    return new RemoteError(remoteError(ErrorCode.INTERNAL_ERROR, `Request on ${subject} failed`));
  }
}
