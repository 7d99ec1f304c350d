import { describe, expect, it } from '@jest/globals';
import { Controller, Get, Post, type Type } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ExecutionContextHost } from '@nestjs/core/helpers/execution-context-host';
import type { Request } from 'express';
import { StreamRoute } from '../http/stream-route';
import { JobsController } from '../jobs/jobs.http.controller';
import { StreamTickets } from './stream-tickets';
import type { GatewayConfig } from '../config';

const config = { STREAM_TICKET_TTL_SECONDS: 60, STREAM_TICKET_SECRET: 's'.repeat(32), REDIS_KEY_PREFIX: 't:' } as GatewayConfig;
const tickets = new StreamTickets(config, {} as never, new Reflector());
const alice = { type: 'jwt', sub: 'alice' };

/** A later API dialect's streams: tickets open them by the decorator alone. */
@Controller('api/v1/requests')
class DialectController {
  @Get(':requestId/stream')
  @StreamRoute({ ticketParam: 'requestId' })
  stream() {}

  @Post('service_run_stream')
  @StreamRoute({ ticketParam: false })
  runStream() {}
}

/** A request routed to one of a controller's handlers, as AuthGuard sees it. */
const routed = (controller: Type, handler: string, params: Record<string, string>, method = 'GET') => {
  const req = { method, params } as unknown as Request;
  return [req, new ExecutionContextHost([req, {}], controller, (controller.prototype as Record<string, () => unknown>)[handler])] as const;
};
const to = (handler: keyof JobsController, params: Record<string, string>, method = 'GET') => routed(JobsController, handler, params, method);

describe('StreamTickets', () => {
  it('opens the stream URLs of its job, as its caller', async () => {
    const { ticket } = await tickets.issue('job1', alice);
    expect(await tickets.authenticate(ticket, ...to('streamFromStart', { id: 'job1' }))).toEqual(alice);
    expect(await tickets.authenticate(ticket, ...to('streamFrom', { id: 'job1', last_event_id: '7' }))).toEqual(alice);
  });

  it('opens nothing else', async () => {
    const { ticket } = await tickets.issue('job1', alice);
    expect(await tickets.authenticate(ticket, ...to('streamFromStart', { id: 'job2' }))).toBeNull();
    expect(await tickets.authenticate(ticket, ...to('get', { id: 'job1' }))).toBeNull();
    expect(await tickets.authenticate(ticket, ...to('streamFromStart', { id: 'job1' }, 'POST'))).toBeNull();
  });

  it('opens any @StreamRoute() handler by the job in its ticket parameter, and not one that takes no tickets', async () => {
    const { ticket } = await tickets.issue('job1', alice);
    expect(await tickets.authenticate(ticket, ...routed(DialectController, 'stream', { requestId: 'job1' }))).toEqual(alice);
    expect(await tickets.authenticate(ticket, ...routed(DialectController, 'stream', { requestId: 'job2' }))).toBeNull();
    expect(await tickets.authenticate(ticket, ...routed(DialectController, 'runStream', { id: 'job1' }, 'POST'))).toBeNull();
    expect(await tickets.authenticate(ticket, ...routed(DialectController, 'runStream', { id: 'job1' }))).toBeNull();
  });

  it('refuses expired, tampered and foreign tickets', async () => {
    const { ticket } = await tickets.issue('job1', alice, Date.now() - 61_000);
    expect(await tickets.verify(ticket)).toBeNull();
    const fresh = (await tickets.issue('job1', alice)).ticket;
    const [body, sig] = fresh.split('.');
    const forged = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(body, 'base64url').toString()), s: 'bob' })).toString('base64url');
    expect(await tickets.verify(`${forged}.${sig}`)).toBeNull();
    const other = new StreamTickets({ ...config, STREAM_TICKET_SECRET: 'x'.repeat(32) } as GatewayConfig, {} as never, new Reflector());
    expect(await other.verify(fresh)).toBeNull();
    expect(await tickets.verify('garbage')).toBeNull();
  });
});

describe('StreamTickets without a configured secret', () => {
  it('answers 503 (not 500) while Redis, which holds the shared key, is unreachable, and recovers when it is back', async () => {
    let down = true;
    const store = new Map<string, string>();
    const redis = {
      set: async (k: string, v: string) => {
        if (down) throw new Error("Stream isn't writeable and enableOfflineQueue options is false");
        if (!store.has(k)) store.set(k, v);
        return 'OK';
      },
      get: async (k: string) => store.get(k) ?? null,
    };
    const shared = new StreamTickets({ ...config, STREAM_TICKET_SECRET: undefined } as GatewayConfig, redis as never, new Reflector());
    await expect(shared.issue('job1', alice)).rejects.toMatchObject({ status: 503 });
    down = false;
    const { ticket } = await shared.issue('job1', alice);
    expect(await shared.verify(ticket)).toMatchObject({ j: 'job1' });
  });
});
