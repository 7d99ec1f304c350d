import { Body, Controller, Delete, Get, Headers, HttpCode, HttpException, Param, Post, Query, Req, Res } from '@nestjs/common';
import { ApiBody, ApiHeader, ApiOperation, ApiParam, ApiProduces, ApiQuery, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { randomUUID } from 'node:crypto';
import { ANONYMOUS, CouncilListQuery, CouncilRequestDto, ErrorCode, Subjects } from '@platform/contracts';
import { Bus, RemoteError, RequestContextStore } from '@platform/runtime';
import { StreamTickets } from '../auth/stream-tickets';
import { StreamRoute } from '../http/stream-route';
import { JobStream } from '../jobs/job-stream';
import { parseEventId } from '../jobs/sse';
import { requestNotFound } from './council-errors';
import { councilStreamFormat } from './council-stream.format';
import { ACCEPTED, COUNCIL_ERROR, COUNCIL_REQUEST_BODY, REQUEST_LIST, REQUEST_VIEW } from './council.openapi';
import { COUNCIL_API, CouncilRoutes, councilStreamUrl } from './council.routes';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const STREAM_DOC =
  'Events `progress` ({status, message}: distributing, deliberating "Round n of m", synthesizing), `chunk` ({content} of the synthesized answer), then `complete` ({requestId, status, consensusDecision, confidence, agreementLevel, cost, latency, completedAt}) or `error` (the error envelope); each frame has an `id:` for Last-Event-ID. Browsers add `?ticket=` from POST …/stream-ticket.';

const invalid = (message: string) => new HttpException({ detail: message, code: ErrorCode.INVALID_REQUEST }, 400);

/**
 * The AI council API (seed 004) as a dialect of the job engine: a council request is a `council` job
 * whose id is the request id. Thin: validation here, the council in job-runner (`council.*` subjects),
 * the stream is the job engine's stream in this API's events.
 */
@ApiTags('AI council')
@ApiResponse({
  status: '4XX',
  description: 'Every error in the envelope `{error: {code, message, details, retryable}, requestId, timestamp}`',
  schema: COUNCIL_ERROR,
})
@ApiResponse({ status: '5XX', description: 'Every error in the envelope', schema: COUNCIL_ERROR })
@Controller(COUNCIL_API)
export class CouncilController {
  constructor(
    private readonly bus: Bus,
    private readonly stream: JobStream,
    private readonly tickets: StreamTickets,
  ) {}

  @Post(CouncilRoutes.requests)
  @HttpCode(202)
  @ApiOperation({
    summary: 'Submit a request to the AI council',
    description: 'Answers at once; the council deliberates as a job. Poll GET /requests/{requestId} or stream it.',
  })
  @ApiBody({ schema: COUNCIL_REQUEST_BODY })
  @ApiResponse({ status: 202, schema: ACCEPTED })
  submit(@Body() body: CouncilRequestDto) {
    return this.bus.request(Subjects.council.submit, { ...body, request_id: randomUUID() });
  }

  @Get(CouncilRoutes.requests)
  @ApiOperation({ summary: "The caller's council requests, newest first" })
  @ApiQuery({ name: 'limit', required: false, schema: { type: 'integer', minimum: 1, maximum: 100, default: 20 } })
  @ApiQuery({ name: 'offset', required: false, schema: { type: 'integer', minimum: 0, default: 0 } })
  @ApiResponse({ status: 200, schema: REQUEST_LIST })
  list(@Query() q: CouncilListQuery) {
    return this.bus.request(Subjects.council.list, { limit: q.limit ?? 20, offset: q.offset ?? 0 });
  }

  @Get(CouncilRoutes.request)
  @ApiOperation({ summary: "A request's status and, once completed, the consensus" })
  @ApiParam({ name: 'requestId', schema: { type: 'string', format: 'uuid' } })
  @ApiQuery({
    name: 'include',
    required: false,
    schema: { type: 'string', enum: ['deliberation'] },
    description: "Each round's member answers, per-member latency/cost/error, the agreement per round",
  })
  @ApiResponse({ status: 200, schema: REQUEST_VIEW })
  get(@Param('requestId') raw: string, @Query('include') include?: unknown) {
    const parts = include === undefined ? [] : typeof include === 'string' ? include.split(',').map((s) => s.trim()) : null;
    if (parts === null || parts.some((p) => p !== 'deliberation')) throw invalid("include must be 'deliberation'");
    return this.view(requestId(raw), parts.length > 0);
  }

  @Delete(CouncilRoutes.request)
  @ApiOperation({ summary: 'Cancel a processing request (409 CONFLICT when it already ended)' })
  @ApiParam({ name: 'requestId', schema: { type: 'string', format: 'uuid' } })
  @ApiResponse({ status: 200, schema: REQUEST_VIEW })
  async cancel(@Param('requestId') raw: string) {
    const id = requestId(raw);
    await this.known(id, this.bus.request(Subjects.council.cancel, { request_id: id }));
    return this.view(id, false);
  }

  @Get(CouncilRoutes.stream)
  @StreamRoute({ ticketParam: 'requestId' })
  @ApiOperation({ summary: "Stream the request's progress and synthesized answer (SSE)", description: STREAM_DOC })
  @ApiParam({ name: 'requestId', schema: { type: 'string', format: 'uuid' } })
  @ApiHeader({ name: 'Last-Event-ID', required: false })
  @ApiQuery({ name: 'ticket', required: false, description: 'A stream ticket (EventSource cannot send Authorization)' })
  @ApiProduces('text/event-stream')
  @ApiResponse({ status: 200, description: STREAM_DOC })
  @ApiResponse({ status: 204, description: 'The request ended and nothing follows Last-Event-ID' })
  async streamRequest(@Param('requestId') raw: string, @Headers('last-event-id') lastEventId: string | undefined, @Req() req: Request, @Res() res: Response) {
    const id = requestId(raw);
    const after = parseEventId(lastEventId) ?? 0;
    if (Number.isNaN(after)) throw invalid('Last-Event-ID must be a non-negative integer');
    await this.view(id, false); // only the caller's council requests stream here
    try {
      await this.stream.serve(
        id,
        after,
        req,
        res,
        councilStreamFormat(id, () => this.view(id, false)),
      );
    } catch (err) {
      if (!res.headersSent && err instanceof RemoteError && err.code === ErrorCode.NOT_FOUND) throw requestNotFound(id);
      throw err;
    }
  }

  @Post(CouncilRoutes.streamTicket)
  @HttpCode(200)
  @ApiOperation({ summary: "A short-lived ticket for this request's stream URL (?ticket=), for EventSource clients" })
  @ApiParam({ name: 'requestId', schema: { type: 'string', format: 'uuid' } })
  async streamTicket(@Param('requestId') raw: string, @Res({ passthrough: true }) res: Response) {
    const id = requestId(raw);
    await this.view(id, false);
    const principal = RequestContextStore.current()?.principal ?? ANONYMOUS;
    const { ticket, expiresAt } = await this.tickets.issue(id, principal);
    res.setHeader('Cache-Control', 'no-store');
    return { ticket, expiresAt: expiresAt.toISOString(), streamUrl: `${councilStreamUrl(id)}?ticket=${ticket}` };
  }

  private view(id: string, includeDeliberation: boolean) {
    return this.known(id, this.bus.request(Subjects.council.get, { request_id: id, include_deliberation: includeDeliberation }));
  }

  /** job-runner's 404 in this API's words. */
  private async known<T>(id: string, reply: Promise<T>): Promise<T> {
    try {
      return await reply;
    } catch (err) {
      if (err instanceof RemoteError && err.code === ErrorCode.NOT_FOUND) throw requestNotFound(id);
      throw err;
    }
  }
}

/** A request id is a UUID; anything else cannot exist (404, like an unknown one). */
function requestId(raw: string): string {
  if (!UUID.test(raw)) throw requestNotFound(raw);
  return raw.toLowerCase();
}
