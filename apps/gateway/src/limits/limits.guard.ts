import { type CanActivate, type ExecutionContext, HttpException, HttpStatus, Inject, Injectable, Logger } from '@nestjs/common';
import { Metrics } from '@platform/runtime';
import { Reflector } from '@nestjs/core';
import type { Request, Response } from 'express';
import { ANONYMOUS, ownerOf, type Principal } from '@platform/contracts';
import { IS_PUBLIC } from '@platform/auth';
import { streamRouteOf } from '../http/stream-route';
import { RateLimiter, type RateDecision } from './rate-limiter';
import { StreamSlots } from './stream-slots';

/** Rate-limit key: the principal's owner key; anonymous callers by client address (`trust proxy` decides which). */
export function callerKey(principal: Principal | undefined, req: Request): string {
  const p = principal ?? ANONYMOUS;
  return p.type === 'anonymous' ? `ip:${req.ip ?? req.socket.remoteAddress ?? 'unknown'}` : `p:${ownerOf(p)}`;
}

/** What a stream request streams: its job (the route's job parameter), else its path. */
function streamedResource(req: Request, jobParam: string | false): string {
  const id: unknown = jobParam ? req.params?.[jobParam] : undefined;
  return typeof id === 'string' ? id : req.path;
}

/** An EventSource reconnect carries the id of the last event it received. */
const isResume = (req: Request): boolean => (req.headers['last-event-id'] ?? '').length > 0;

export class TooManyRequests extends HttpException {
  constructor(detail: string) {
    super({ detail }, HttpStatus.TOO_MANY_REQUESTS);
  }
}

/**
 * Runs after authentication: the per-caller rate limits (headers on every limited response, 429 with
 * Retry-After beyond them) and, on `@StreamRoute()` handlers, one of the caller's concurrent-stream
 * slots, held until the response closes.
 */
@Injectable()
export class LimitsGuard implements CanActivate {
  private readonly logger = new Logger('Limits');
  private readonly refusals;

  constructor(
    private readonly limiter: RateLimiter,
    private readonly slots: StreamSlots,
    private readonly reflector: Reflector,
    @Inject(Metrics) metrics: Metrics,
  ) {
    this.refusals = metrics.counter({
      name: 'gateway_rate_limit_refusals_total',
      help: 'Requests refused with 429: reason rate (per-caller rate limit), streams (concurrent-stream cap), auth_failures (failed authentications from one address)',
      labelNames: ['reason'],
    });
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (context.getType() !== 'http') return true;
    const req = context.switchToHttp().getRequest<Request & { principal?: Principal }>();
    const res = context.switchToHttp().getResponse<Response>();
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, [context.getHandler(), context.getClass()])) return true;
    const key = callerKey(req.principal, req);
    await this.rateLimit(key, res);
    // A HEAD of a stream gets its headers and no body: it holds no slot.
    const stream = streamRouteOf(this.reflector, context);
    if (stream && req.method !== 'HEAD' && this.slots.max > 0) {
      const slot = await this.slots.acquire({ caller: key, stream: streamedResource(req, stream.ticketParam), resume: isResume(req) });
      if (!slot) {
        this.refusals.inc({ reason: 'streams' });
        res.setHeader('Retry-After', '5');
        throw new TooManyRequests(`Too many concurrent streams (limit ${this.slots.max} per caller)`);
      }
      res.once('close', () => slot.release());
    }
    return true;
  }

  /** Counts a request that failed authentication against its client address, so bad credentials cannot be tried at full speed. */
  async countFailedAuthentication(req: Request, res: Response): Promise<void> {
    await this.rateLimit(`authfail:${callerKey(undefined, req)}`, res, 'auth_failures');
  }

  private async rateLimit(key: string, res: Response, reason = 'rate'): Promise<void> {
    if (!this.limiter.enabled) return;
    let d: RateDecision;
    try {
      d = await this.limiter.consume(key);
    } catch (err) {
      this.logger.warn(`rate limit not enforced: ${(err as Error).message}`);
      return;
    }
    res.setHeader('X-RateLimit-Limit', String(d.limit));
    res.setHeader('X-RateLimit-Remaining', String(d.remaining));
    res.setHeader('X-RateLimit-Reset', String(d.resetAt));
    if (!d.allowed) {
      this.refusals.inc({ reason });
      res.setHeader('Retry-After', String(d.retryAfter));
      throw new TooManyRequests(`Rate limit exceeded: retry in ${d.retryAfter} s`);
    }
  }
}
