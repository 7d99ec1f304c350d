import { describe, expect, it } from '@jest/globals';
import { Controller, Get, Post, type Type } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import { ExecutionContextHost } from '@nestjs/core/helpers/execution-context-host';
import { Public } from '@platform/auth';
import { Metrics } from '@platform/runtime';
import { StreamRoute } from '../http/stream-route';
import { JobsController } from '../jobs/jobs.http.controller';
import { LimitsGuard } from './limits.guard';
import type { RateLimiter } from './rate-limiter';
import type { SlotRequest, StreamSlots } from './stream-slots';

/** A later API dialect: its stream opts into the stream limits with the decorator alone, whatever its path. */
@Controller('api/v1/requests')
class DialectController {
  @Get(':requestId/stream')
  @StreamRoute({ ticketParam: 'requestId' })
  stream() {}

  @Post('service_run_stream')
  @StreamRoute({ ticketParam: false })
  runStream() {}

  @Get(':requestId')
  get() {}
}

@Public()
@Controller('open')
class PublicStreams {
  @Get()
  @StreamRoute()
  stream() {}
}

/** Runs LimitsGuard for a request routed to `controller.handler`; returns how many stream slots it took. */
async function slotsTaken(controller: Type, handler: string, method = 'GET', extra: Partial<Request> = {}, asked: SlotRequest[] = []): Promise<number> {
  let taken = 0;
  const slots = { max: 2, acquire: async (r: SlotRequest) => (taken++, asked.push(r), { release: () => undefined }) } as unknown as StreamSlots;
  const guard = new LimitsGuard({ enabled: false } as RateLimiter, slots, new Reflector(), new Metrics('test'));
  const req = { method, ip: '192.0.2.1', socket: {}, headers: {}, params: {}, path: '/somewhere', ...extra };
  const res = { once: () => res, setHeader: () => res };
  const proto = controller.prototype as Record<string, () => unknown>;
  expect(await guard.canActivate(new ExecutionContextHost([req, res], controller, proto[handler]))).toBe(true);
  return taken;
}

describe('LimitsGuard stream slots', () => {
  it('holds a slot for the job streams, found by their decorator', async () => {
    expect(await slotsTaken(JobsController, 'streamFromStart')).toBe(1);
    expect(await slotsTaken(JobsController, 'streamFrom')).toBe(1);
  });

  it('holds none for the routes without it', async () => {
    for (const handler of ['get', 'state', 'report', 'agents', 'submit', 'cancel'])
      expect([handler, await slotsTaken(JobsController, handler)]).toEqual([handler, 0]);
  });

  it('applies to any handler that carries @StreamRoute(), GET or POST, and to none beside it', async () => {
    expect(await slotsTaken(DialectController, 'stream')).toBe(1);
    expect(await slotsTaken(DialectController, 'runStream', 'POST')).toBe(1);
    expect(await slotsTaken(DialectController, 'get')).toBe(0);
  });

  it("names the streamed job (the route's job parameter, else the path) and whether it is a resume", async () => {
    const asked: SlotRequest[] = [];
    await slotsTaken(JobsController, 'streamFromStart', 'GET', { params: { id: 'job-1' }, headers: { 'last-event-id': '7' } } as Partial<Request>, asked);
    await slotsTaken(JobsController, 'streamFrom', 'GET', { params: { id: 'job-2', last_event_id: '3' } } as Partial<Request>, asked);
    await slotsTaken(DialectController, 'runStream', 'POST', { path: '/api/v1/requests/service_run_stream' } as Partial<Request>, asked);
    expect(asked).toEqual([
      { caller: 'ip:192.0.2.1', stream: 'job-1', resume: true },
      { caller: 'ip:192.0.2.1', stream: 'job-2', resume: false },
      { caller: 'ip:192.0.2.1', stream: '/api/v1/requests/service_run_stream', resume: false },
    ]);
  });

  it('takes no slot for a HEAD (headers only) or a public route', async () => {
    expect(await slotsTaken(JobsController, 'streamFromStart', 'HEAD')).toBe(0);
    expect(await slotsTaken(PublicStreams, 'stream')).toBe(0);
  });
});
