import {
  BadRequestException,
  type CanActivate,
  type ExecutionContext,
  HttpException,
  HttpStatus,
  Inject,
  Injectable,
  Logger,
  Optional,
  SetMetadata,
  UnauthorizedException,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request, Response } from 'express';
import { ANONYMOUS, type Principal } from '@platform/contracts';
import { RequestContextStore } from '@platform/runtime';
import { isHeadless, withClarifierPolicy } from './principal-policy';
import { AUTH_OPTIONS, type AuthOptions } from './auth-options';
import { firstPrincipal, ValidatorUnavailableError } from './validator';
import { ValidatorRegistry } from './validator-registry';

/**
 * A credential that is not an `Authorization` header: the gateway's stream tickets (`?ticket=`). Returns
 * the principal, or `null` when the ticket is not valid for this request (judged by the handler it was
 * routed to: `context`).
 */
export interface TicketAuthenticator {
  readonly queryParam: string;
  authenticate(ticket: string, req: Request, context: ExecutionContext): Promise<Principal | null>;
}
export const TICKET_AUTHENTICATOR = Symbol('TICKET_AUTHENTICATOR');

export const IS_PUBLIC = 'auth:public';
/** Marks a controller or route as needing no credentials. */
export const Public = () => SetMetadata(IS_PUBLIC, true);

/** Query parameters that would put a long-lived credential in URLs, logs and browser history. */
export const FORBIDDEN_QUERY_CREDENTIALS = ['access_token', 'token', 'api_key', 'apikey', 'id_token', 'jwt'];

const MAX_TOKEN_LENGTH = 8192;
const BEARER = /^Bearer[ \t]+([\x21-\x7e]+)[ \t]*$/i;

export type AuthenticatedRequest = Request & { principal?: Principal };

export function isPublicPath(path: string, publicPaths: readonly string[]): boolean {
  return publicPaths.some((p) => path === p || path.startsWith(p.endsWith('/') ? p : `${p}/`));
}

/**
 * The global guard (the AI-Q API's AuthMiddleware): resolves the caller from `Authorization: Bearer …`
 * (validators in order, first non-null wins) or a stream ticket, applies the REQUIRE_AUTH policy and
 * the clarifier policy, and puts the principal in the request context so every NATS request made for
 * this HTTP request carries it.
 */
@Injectable()
export class AuthGuard implements CanActivate {
  private readonly logger = new Logger('Auth');

  constructor(
    @Inject(AUTH_OPTIONS) private readonly options: AuthOptions,
    private readonly registry: ValidatorRegistry,
    private readonly reflector: Reflector,
    @Optional() @Inject(TICKET_AUTHENTICATOR) private readonly tickets?: TicketAuthenticator,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (context.getType() !== 'http') return true;
    const req = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const res = context.switchToHttp().getResponse<Response>();
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, [context.getHandler(), context.getClass()]) || isPublicPath(req.path, this.options.publicPaths)) {
      return true;
    }
    const principal = withClarifierPolicy(await this.authenticate(req, res, context), isHeadless(req.headers['x-aiq-mode']));
    req.principal = principal;
    const ctx = RequestContextStore.current();
    if (ctx) ctx.principal = principal;
    return true;
  }

  private async authenticate(req: AuthenticatedRequest, res: Response, context: ExecutionContext): Promise<Principal> {
    const query = (req.query ?? {}) as Record<string, unknown>;
    const leaked = FORBIDDEN_QUERY_CREDENTIALS.filter((k) => k in query);
    if (leaked.length) {
      res.setHeader('WWW-Authenticate', 'Bearer error="invalid_request"');
      throw new BadRequestException({
        detail: `Credentials are not accepted in the query string (${leaked.join(', ')}): send Authorization: Bearer <token>`,
      });
    }

    const header = req.headers.authorization;
    const fromHeader = header === undefined ? undefined : await this.fromAuthorization(header, res);

    const ticketParam = this.tickets?.queryParam ?? 'ticket';
    const ticket = query[ticketParam];
    if (ticket !== undefined) {
      if (!this.tickets || typeof ticket !== 'string' || ticket.length > MAX_TOKEN_LENGTH) throw this.unauthorized(res, 'Invalid stream ticket');
      const p = await this.tickets.authenticate(ticket, req, context);
      if (!p) throw this.unauthorized(res, 'Invalid or expired stream ticket for this URL');
      // A ticket never lends a different identity to a caller who also sent their own credentials.
      if (fromHeader && (fromHeader.type !== p.type || fromHeader.sub !== p.sub)) throw this.unauthorized(res, 'Stream ticket belongs to another caller');
      return p;
    }
    if (fromHeader) return fromHeader;
    if (this.options.requireAuth) throw this.unauthorized(res, 'Not authenticated');
    return ANONYMOUS;
  }

  private async fromAuthorization(header: string, res: Response): Promise<Principal> {
    const m = BEARER.exec(header);
    if (!m) throw this.unauthorized(res, 'Authorization header must be "Bearer <token>"', 'invalid_request');
    const token = m[1];
    if (token.length > MAX_TOKEN_LENGTH) throw this.unauthorized(res, 'Invalid token');
    const validators = this.registry.validators;
    if (validators.length === 0) {
      // Nothing can verify it. With auth optional the caller is anonymous rather than trusted as anyone.
      if (this.options.requireAuth) throw this.unauthorized(res, 'Invalid token');
      return ANONYMOUS;
    }
    let principal: Principal | null;
    try {
      principal = await firstPrincipal(validators, token);
    } catch (err) {
      if (err instanceof ValidatorUnavailableError) {
        this.logger.error(err.message);
        throw new HttpException({ detail: 'Authentication is temporarily unavailable' }, HttpStatus.SERVICE_UNAVAILABLE);
      }
      throw err;
    }
    if (!principal) throw this.unauthorized(res, 'Invalid token');
    return principal;
  }

  private unauthorized(res: Response, detail: string, error = 'invalid_token'): UnauthorizedException {
    res.setHeader('WWW-Authenticate', detail === 'Not authenticated' ? 'Bearer' : `Bearer error="${error}"`);
    return new UnauthorizedException({ detail });
  }
}
