import { Body, Controller, Get, Headers, HttpCode, Param, Post, Query, Req, Res, UnprocessableEntityException } from '@nestjs/common';
import { ApiBody, ApiHeader, ApiOperation, ApiParam, ApiProduces, ApiQuery, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { JOB_STATUSES, ListJobsQuery, SubmitJobDto, Subjects } from '@platform/contracts';
import { Bus } from '@platform/runtime';
import { jobId } from '../http/not-found';
import { StreamRoute } from '../http/stream-route';
import { JobStream } from './job-stream';
import { JOBS_API, JobRoutes } from './jobs.routes';
import { parseEventId } from './sse';

/** Seed 000's Async Job API. Thin: validation here, the job engine in job-runner. */
@ApiTags('jobs')
@Controller(JOBS_API)
export class JobsController {
  constructor(
    private readonly bus: Bus,
    private readonly stream: JobStream,
  ) {}

  @Get(JobRoutes.agents)
  @ApiOperation({ summary: 'List available agent types' })
  agents() {
    return this.bus.request(Subjects.jobs.agents, {});
  }

  @Post(JobRoutes.submit)
  @HttpCode(200)
  @ApiOperation({ summary: 'Submit a new job' })
  @ApiBody({ type: SubmitJobDto })
  @ApiHeader({ name: 'Idempotency-Key', required: false, description: 'Same key + same body returns the original job; a different body is 409' })
  submit(@Body() body: SubmitJobDto, @Headers('idempotency-key') idempotencyKey?: string) {
    if (idempotencyKey !== undefined && !/^[\x21-\x7e]{1,200}$/.test(idempotencyKey)) {
      throw new UnprocessableEntityException({ detail: 'Idempotency-Key must be 1-200 printable ASCII characters' });
    }
    // With its job_id or Idempotency-Key a submit is recognised when repeated, so a lost reply (its
    // runner killed mid-request) is retried on another runner instead of answering 504.
    const idempotent = body.job_id !== undefined || idempotencyKey !== undefined;
    return this.bus.request(Subjects.jobs.submit, { ...body, idempotency_key: idempotencyKey }, undefined, { idempotent });
  }

  @Get(JobRoutes.jobs)
  @ApiOperation({ summary: "The caller's recent jobs, newest first (limit 1-100, default 20; offset; optional status)" })
  @ApiQuery({ name: 'limit', required: false, schema: { type: 'integer', minimum: 1, maximum: 100, default: 20 } })
  @ApiQuery({ name: 'offset', required: false, schema: { type: 'integer', minimum: 0, default: 0 } })
  @ApiQuery({ name: 'status', required: false, enum: JOB_STATUSES })
  list(@Query() q: ListJobsQuery) {
    return this.bus.request(Subjects.jobs.list, q);
  }

  @Get(JobRoutes.job)
  @ApiOperation({ summary: 'Get job status' })
  get(@Param('id') id: string) {
    return this.bus.request(Subjects.jobs.get, { job_id: jobId(id) });
  }

  @Post(JobRoutes.cancel)
  @HttpCode(200)
  @ApiOperation({ summary: 'Cancel a queued or running job (409 if it already finished)' })
  cancel(@Param('id') id: string) {
    return this.bus.request(Subjects.jobs.cancel, { job_id: jobId(id) });
  }

  @Get(JobRoutes.state)
  @ApiOperation({ summary: 'Current UI state folded from the event log' })
  state(@Param('id') id: string) {
    return this.bus.request(Subjects.jobs.state, { job_id: jobId(id) });
  }

  @Get(JobRoutes.report)
  @ApiOperation({ summary: 'Final report' })
  report(@Param('id') id: string) {
    return this.bus.request(Subjects.jobs.report, { job_id: jobId(id) });
  }

  @Get(JobRoutes.stream)
  @StreamRoute()
  @ApiOperation({ summary: 'SSE stream from the beginning (or from Last-Event-ID)' })
  @ApiProduces('text/event-stream')
  @ApiHeader({ name: 'Last-Event-ID', required: false })
  streamFromStart(@Param('id') id: string, @Headers('last-event-id') lastEventId: string | undefined, @Req() req: Request, @Res() res: Response) {
    return this.serve(id, undefined, lastEventId, req, res);
  }

  @Get(JobRoutes.streamAfter)
  @StreamRoute()
  @ApiOperation({ summary: 'SSE stream of the events after last_event_id' })
  @ApiProduces('text/event-stream')
  @ApiParam({ name: 'last_event_id', type: Number })
  streamFrom(@Param('id') id: string, @Param('last_event_id') fromPath: string, @Req() req: Request, @Res() res: Response) {
    return this.serve(id, fromPath, undefined, req, res);
  }

  private serve(id: string, fromPath: string | undefined, fromHeader: string | undefined, req: Request, res: Response) {
    const after = parseEventId(fromPath) ?? parseEventId(fromHeader) ?? 0;
    if (Number.isNaN(after)) throw new UnprocessableEntityException({ detail: 'last_event_id must be a non-negative integer' });
    return this.stream.serve(jobId(id), after, req, res);
  }
}
