import { type CanActivate, type ExecutionContext, HttpStatus, HttpException, Injectable } from '@nestjs/common';
import type { Request, Response } from 'express';
import { AuthGuard } from '@platform/auth';
import { LimitsGuard } from '../limits/limits.guard';

/**
 * The gateway's one global guard, so the order is explicit: who is calling (AuthGuard), then that
 * caller's limits (LimitsGuard). A failed authentication counts against the client address's limit.
 */
@Injectable()
export class GatewayGuard implements CanActivate {
  constructor(
    private readonly auth: AuthGuard,
    private readonly limits: LimitsGuard,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    try {
      await this.auth.canActivate(context);
    } catch (err) {
      if (err instanceof HttpException && (err.getStatus() === HttpStatus.UNAUTHORIZED || err.getStatus() === HttpStatus.BAD_REQUEST)) {
        const http = context.switchToHttp();
        await this.limits.countFailedAuthentication(http.getRequest<Request>(), http.getResponse<Response>());
      }
      throw err;
    }
    return this.limits.canActivate(context);
  }
}
