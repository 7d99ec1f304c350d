import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { type ExecutionContext, Inject, Injectable, ServiceUnavailableException } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import type { Redis } from 'ioredis';
import type { Principal } from '@platform/contracts';
import type { TicketAuthenticator } from '@platform/auth';
import { GatewayConfig } from '../config';
import { GATEWAY_REDIS } from '../limits/redis.provider';
import { streamRouteOf } from '../http/stream-route';

interface TicketPayload {
  v: 1;
  /** Job id the ticket opens. */
  j: string;
  /** The caller it was issued to. */
  t: string;
  s: string;
  /** Expiry, unix seconds. */
  e: number;
  n: string;
}

export interface IssuedTicket {
  ticket: string;
  expiresAt: Date;
}

/**
 * Short-lived stream tickets for EventSource, which cannot send headers: `base64url(payload).base64url(HMAC-SHA256)`,
 * bound to one job, one caller and an expiry. Stateless to verify, so any replica accepts a ticket any
 * other issued. The key is STREAM_TICKET_SECRET, or — when unset — a random key created once in Redis
 * (SET NX) and shared by every replica. A ticket opens only GETs of `@StreamRoute()` handlers, for the
 * job in the route's ticket parameter.
 */
@Injectable()
export class StreamTickets implements TicketAuthenticator {
  readonly queryParam = 'ticket';
  private key?: Promise<Buffer>;

  constructor(
    @Inject(GatewayConfig) private readonly config: GatewayConfig,
    @Inject(GATEWAY_REDIS) private readonly redis: Redis,
    private readonly reflector: Reflector,
  ) {}

  async issue(jobId: string, principal: Principal, now = Date.now()): Promise<IssuedTicket> {
    const e = Math.floor(now / 1000) + this.config.STREAM_TICKET_TTL_SECONDS;
    const payload: TicketPayload = { v: 1, j: jobId, t: principal.type, s: principal.sub, e, n: randomBytes(9).toString('base64url') };
    const body = Buffer.from(JSON.stringify(payload)).toString('base64url');
    return { ticket: `${body}.${await this.sign(body)}`, expiresAt: new Date(e * 1000) };
  }

  /** The ticket's caller, if the ticket is genuine, unexpired and issued for the job this request streams. */
  async authenticate(ticket: string, req: Request, context: ExecutionContext): Promise<Principal | null> {
    const jobId = this.streamedJob(req, context);
    if (jobId === undefined) return null; // tickets open streams only
    const payload = await this.verify(ticket);
    if (!payload || payload.j !== jobId) return null;
    return { type: payload.t, sub: payload.s };
  }

  /** The job a GET of a ticket-opened stream route streams (Express has decoded the path parameter). */
  private streamedJob(req: Request, context: ExecutionContext): string | undefined {
    const param = req.method === 'GET' ? streamRouteOf(this.reflector, context)?.ticketParam : undefined;
    const jobId: unknown = param ? req.params?.[param] : undefined;
    return typeof jobId === 'string' ? jobId : undefined;
  }

  async verify(ticket: string, now = Date.now()): Promise<TicketPayload | null> {
    const parts = ticket.split('.');
    if (parts.length !== 2 || !/^[A-Za-z0-9_-]+$/.test(parts[0]) || !/^[A-Za-z0-9_-]+$/.test(parts[1])) return null;
    const expected = Buffer.from(await this.sign(parts[0]), 'base64url');
    const given = Buffer.from(parts[1], 'base64url');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
    let payload: TicketPayload;
    try {
      payload = JSON.parse(Buffer.from(parts[0], 'base64url').toString('utf8')) as TicketPayload;
    } catch {
      return null;
    }
    if (payload?.v !== 1 || typeof payload.j !== 'string' || typeof payload.t !== 'string' || typeof payload.s !== 'string' || typeof payload.e !== 'number')
      return null;
    if (payload.e * 1000 <= now) return null;
    return payload;
  }

  private async sign(body: string): Promise<string> {
    return createHmac('sha256', await this.secret())
      .update(`stream-ticket.v1.${body}`)
      .digest('base64url');
  }

  private secret(): Promise<Buffer> {
    if (!this.key) {
      const configured = this.config.STREAM_TICKET_SECRET;
      this.key = configured ? Promise.resolve(Buffer.from(configured, 'utf8')) : this.sharedKey();
      this.key.catch(() => (this.key = undefined)); // Redis was down: try again next time
    }
    return this.key;
  }

  /** The key all replicas share, created once in Redis. Redis unreachable: a 503 (Retry-After), not a 500. */
  private async sharedKey(): Promise<Buffer> {
    const name = `${this.config.REDIS_KEY_PREFIX}stream-ticket-key`;
    let value: string | null;
    try {
      await this.redis.set(name, randomBytes(32).toString('base64'), 'NX');
      value = await this.redis.get(name);
    } catch (err) {
      throw new ServiceUnavailableException({ detail: 'Stream tickets are temporarily unavailable; retry shortly' }, { cause: err });
    }
    if (!value) throw new Error('stream ticket key missing in Redis');
    return Buffer.from(value, 'base64');
  }
}
