import { Body, Controller, Get, Headers, HttpCode, Post, Query, Req, Res } from '@nestjs/common';
import { ApiBody, ApiHeader, ApiOkResponse, ApiOperation, ApiProduces, ApiQuery, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { ErrorCode, ServiceRunCancelDto, ServiceRunDto, Subjects } from '@platform/contracts';
import { Bus, RemoteError } from '@platform/runtime';
import { StreamRoute } from '../http/stream-route';
import { JobStream } from '../jobs/job-stream';
import { parseEventId } from '../jobs/sse';
import { AGENT_LIST, CANCEL_BODY, envelope, ERROR_ENVELOPE, RUN_RESULT, SERVICE_RUN_BODY } from './service-api.openapi';
import { ServiceRoutes } from './service-api.routes';
import { failed, invalid, ok, requestId, requestNotFound, serviceInput, STATE_BY_STATUS } from './service-run';
import { ServiceRuns } from './service-runs';
import { serviceRunFormat } from './service-stream.format';

const STREAM_DOC =
  'Frames `data:{"process": …}` per step (a model token\'s text, else the event object), then `data:{"result": …}` or `data:{"error":{"error_msg": …}}`; each with `id: <seq>`.';

/** Whether the client is still there: aborts when the response closes before it was written. */
function clientGone(res: Response): AbortSignal {
  const gone = new AbortController();
  res.once('close', () => {
    if (!res.writableFinished) gone.abort();
  });
  return gone.signal;
}

/**
 * The agentUniverse web API (service_run and friends) as a dialect of the job engine: a service run is
 * a job of the service's agent type whose id is the request id. Thin: the input is read out of
 * `params` here, job-runner resolves the service, the rest is the job engine's.
 */
@ApiTags('service API (agentUniverse)')
@ApiResponse({ status: '4XX', description: 'Every error keeps the envelope, with the error as `message`.', schema: ERROR_ENVELOPE })
@Controller()
export class ServiceApiController {
  constructor(
    private readonly bus: Bus,
    private readonly runs: ServiceRuns,
    private readonly stream: JobStream,
  ) {}

  @Get(ServiceRoutes.agentList)
  @ApiOperation({ summary: 'The configured services, with the agent type each runs' })
  @ApiOkResponse({ schema: AGENT_LIST })
  async agentList() {
    const { services } = await this.bus.request(Subjects.services.list, {});
    return { success: true, data: services.map((s) => ({ agent_name: s.agent_type, service_id: s.service_id, description: s.description })) };
  }

  @Post(ServiceRoutes.run)
  @HttpCode(200)
  @ApiOperation({
    summary: 'Run a service and wait for its result',
    description: 'Blocks until the run ends. Past SERVICE_RUN_TIMEOUT_MS: 504 `sync service timeout` (the run goes on; read it with service_run_result).',
  })
  @ApiBody({ schema: SERVICE_RUN_BODY })
  @ApiOkResponse({
    description: 'The run ended: its result, or `success: false` with the error when it failed or was cancelled',
    schema: envelope({ type: 'string' }, { success: true, result: 'Your input is Hello!.', message: null, request_id: '7dd7d737b6b64c3c92addf541e73e97c' }),
  })
  @ApiResponse({ status: 504, description: 'Not finished in time', schema: envelope({ type: 'object' }) })
  async run(@Body() body: ServiceRunDto, @Res({ passthrough: true }) res: Response) {
    const { input, options } = serviceInput(body.params);
    const { requestId: id, outcome } = await this.runs.runToEnd(body.service_id, input, options, clientGone(res));
    if (outcome === 'timeout') {
      res.status(504);
      return failed('sync service timeout', id);
    }
    if (outcome === 'aborted') return failed('client disconnected', id); // nobody reads it
    if (outcome === 'shutdown') {
      res.status(503).setHeader('Retry-After', '2');
      return failed('the gateway is restarting: the run goes on, read it with /service_run_result', id);
    }
    return outcome.status === 'success' ? ok(outcome.result, id) : failed(outcome.error, id);
  }

  @Post(ServiceRoutes.stream)
  @StreamRoute({ ticketParam: false })
  @ApiOperation({ summary: 'Run a service and stream its steps and result (SSE)', description: `${STREAM_DOC} Header \`X-Request-ID\`: the request id.` })
  @ApiBody({ schema: SERVICE_RUN_BODY })
  @ApiProduces('text/event-stream')
  @ApiOkResponse({ description: STREAM_DOC, headers: { 'X-Request-ID': { description: 'The request id of this run', schema: { type: 'string' } } } })
  async startStream(@Body() body: ServiceRunDto, @Req() req: Request, @Res() res: Response) {
    const { input, options } = serviceInput(body.params);
    const run = await this.runs.start(body.service_id, input, options);
    return this.serve(run.request_id, 0, req, res);
  }

  @Get(ServiceRoutes.stream)
  @StreamRoute({ ticketParam: false })
  @ApiOperation({ summary: 'Resume a service run stream after Last-Event-ID (or from the start)', description: STREAM_DOC })
  @ApiQuery({ name: 'request_id', required: true })
  @ApiHeader({ name: 'Last-Event-ID', required: false })
  @ApiProduces('text/event-stream')
  @ApiOkResponse({ description: STREAM_DOC })
  @ApiResponse({ status: 204, description: 'The run ended and nothing follows Last-Event-ID' })
  resumeStream(@Query('request_id') raw: unknown, @Headers('last-event-id') lastEventId: string | undefined, @Req() req: Request, @Res() res: Response) {
    if (raw === undefined) throw invalid('request_id is required');
    const after = parseEventId(lastEventId) ?? 0;
    if (Number.isNaN(after)) throw invalid('Last-Event-ID must be a non-negative integer');
    return this.serve(requestId(raw), after, req, res);
  }

  @Post(ServiceRoutes.async)
  @HttpCode(200)
  @ApiOperation({ summary: 'Start a service run and return its request id at once' })
  @ApiBody({ schema: SERVICE_RUN_BODY })
  @ApiOkResponse({ schema: envelope({ type: 'object' }, { success: true, result: null, message: null, request_id: '7dd7d737b6b64c3c92addf541e73e97c' }) })
  async startAsync(@Body() body: ServiceRunDto) {
    const { input, options } = serviceInput(body.params);
    const run = await this.runs.start(body.service_id, input, options);
    return ok(null, run.request_id);
  }

  @Get(ServiceRoutes.result)
  @ApiOperation({ summary: 'State, result and steps of a service run' })
  @ApiQuery({ name: 'request_id', required: true })
  @ApiOkResponse({ schema: envelope(RUN_RESULT) })
  async result(@Query('request_id') raw: unknown) {
    if (raw === undefined) throw invalid('request_id is required');
    const id = requestId(raw);
    return ok(await this.runs.result(id), id);
  }

  @Post(ServiceRoutes.cancel)
  @HttpCode(200)
  @ApiOperation({ summary: 'Cancel a service run (409 when it already ended)' })
  @ApiBody({ schema: CANCEL_BODY })
  @ApiOkResponse({
    schema: envelope(
      { type: 'object', properties: { state: { type: 'string', enum: ['canceled'] } } },
      { success: true, result: { state: 'canceled' }, message: null, request_id: '7dd7d737b6b64c3c92addf541e73e97c' },
    ),
  })
  async cancel(@Body() body: ServiceRunCancelDto) {
    const id = requestId(body.request_id);
    const reply = await this.runs.cancel(id);
    return ok({ state: STATE_BY_STATUS[reply.status] }, id);
  }

  /** The run's stream in the original's frames; `X-Request-ID` is the request id (not the gateway's correlation id). */
  private async serve(id: string, after: number, req: Request, res: Response): Promise<void> {
    res.setHeader('X-Request-ID', id);
    try {
      await this.stream.serve(
        id,
        after,
        req,
        res,
        serviceRunFormat(() => this.runs.report(id)),
      );
    } catch (err) {
      if (!res.headersSent && err instanceof RemoteError && err.code === ErrorCode.NOT_FOUND) throw requestNotFound(id);
      throw err;
    }
  }
}
