import { describe, expect, it } from '@jest/globals';
import type { Request } from 'express';
import { StreamTickets } from './stream-tickets';
import type { GatewayConfig } from '../config';

const config = { STREAM_TICKET_TTL_SECONDS: 60, STREAM_TICKET_SECRET: 's'.repeat(32), REDIS_KEY_PREFIX: 't:' } as GatewayConfig;
const tickets = new StreamTickets(config, {} as never);
const alice = { type: 'jwt', sub: 'alice' };
const req = (path: string, method = 'GET') => ({ path, method }) as Request;

describe('StreamTickets', () => {
  it('opens the stream URLs of its job, as its caller', async () => {
    const { ticket } = await tickets.issue('job1', alice);
    expect(await tickets.authenticate(ticket, req('/v1/jobs/async/job/job1/stream'))).toEqual(alice);
    expect(await tickets.authenticate(ticket, req('/v1/jobs/async/job/job1/stream/7'))).toEqual(alice);
  });

  it('opens nothing else', async () => {
    const { ticket } = await tickets.issue('job1', alice);
    expect(await tickets.authenticate(ticket, req('/v1/jobs/async/job/job2/stream'))).toBeNull();
    expect(await tickets.authenticate(ticket, req('/v1/jobs/async/job/job1'))).toBeNull();
    expect(await tickets.authenticate(ticket, req('/v1/jobs/async/job/job1/stream', 'POST'))).toBeNull();
  });

  it('refuses expired, tampered and foreign tickets', async () => {
    const { ticket } = await tickets.issue('job1', alice, Date.now() - 61_000);
    expect(await tickets.verify(ticket)).toBeNull();
    const fresh = (await tickets.issue('job1', alice)).ticket;
    const [body, sig] = fresh.split('.');
    const forged = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(body, 'base64url').toString()), s: 'bob' })).toString('base64url');
    expect(await tickets.verify(`${forged}.${sig}`)).toBeNull();
    const other = new StreamTickets({ ...config, STREAM_TICKET_SECRET: 'x'.repeat(32) } as GatewayConfig, {} as never);
    expect(await other.verify(fresh)).toBeNull();
    expect(await tickets.verify('garbage')).toBeNull();
  });
});
