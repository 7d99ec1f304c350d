import { Controller, HttpCode, Param, Post, Res } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { ANONYMOUS, Subjects } from '@platform/contracts';
import { Bus, RequestContextStore } from '@platform/runtime';
import { jobId } from '../http/not-found';
import { JOBS_API, JobRoutes, jobStreamUrl } from '../jobs/jobs.routes';
import { StreamTickets } from './stream-tickets';

/** Browsers' way into a job stream: EventSource cannot send `Authorization`, so it sends `?ticket=`. */
@ApiTags('jobs')
@Controller(JOBS_API)
export class StreamTicketsController {
  constructor(
    private readonly bus: Bus,
    private readonly tickets: StreamTickets,
  ) {}

  @Post(JobRoutes.streamTicket)
  @HttpCode(200)
  @ApiOperation({ summary: "A short-lived ticket for this job's stream URLs (?ticket=), for EventSource clients" })
  async create(@Param('id') raw: string, @Res({ passthrough: true }) res: Response) {
    const id = jobId(raw);
    // Owner only: job-runner answers 404 unless the job belongs to this caller.
    await this.bus.request(Subjects.jobs.get, { job_id: id });
    const principal = RequestContextStore.current()?.principal ?? ANONYMOUS;
    const { ticket, expiresAt } = await this.tickets.issue(id, principal);
    res.setHeader('Cache-Control', 'no-store');
    return {
      ticket,
      expires_at: expiresAt.toISOString(),
      expires_in: Math.max(0, Math.round((expiresAt.getTime() - Date.now()) / 1000)),
      stream_url: `${jobStreamUrl(id)}?ticket=${ticket}`,
    };
  }
}
