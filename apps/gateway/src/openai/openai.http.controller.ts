import { Body, Controller, Get, HttpCode, Inject, NotFoundException, Param, Post, Req, Res } from '@nestjs/common';
import { ApiBody, ApiOkResponse, ApiOperation, ApiParam, ApiProduces, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { Subjects } from '@platform/contracts';
import { Bus, RequestContextStore } from '@platform/runtime';
import { GatewayConfig } from '../config';
import { StreamRoute } from '../http/stream-route';
import { JobStream } from '../jobs/job-stream';
import { ServiceRuns } from '../service-api/service-runs';
import { CHAT_BODY, CHAT_COMPLETION, MODEL, MODEL_LIST, OPENAI_ERROR } from './openai.openapi';
import { OpenAiRoutes } from './openai.routes';
import { chatCompletion, chatInput, ChatStreamFormat, modelOf, openAiError, parseChatRequest } from './openai-shapes';

/**
 * An OpenAI-compatible front on service runs, as the agentUniverse server has one: `model` is a
 * service id, the last user message the input. A completion is a service run (a job), streamed through
 * the same JobStream as every other stream, or awaited on the same live events as `service_run`.
 */
@ApiTags('OpenAI-compatible')
@ApiResponse({ status: '4XX', description: "OpenAI's error body", schema: OPENAI_ERROR })
@Controller()
export class OpenAiController {
  constructor(
    private readonly bus: Bus,
    private readonly runs: ServiceRuns,
    private readonly stream: JobStream,
    @Inject(GatewayConfig) private readonly config: GatewayConfig,
  ) {}

  @Get(OpenAiRoutes.models)
  @ApiOperation({ summary: 'The services, as models' })
  @ApiOkResponse({ schema: MODEL_LIST })
  async models() {
    const { services } = await this.bus.request(Subjects.services.list, {});
    return { object: 'list', data: services.map((s) => modelOf(s.service_id)) };
  }

  @Get(OpenAiRoutes.model)
  @ApiOperation({ summary: 'One service, as a model' })
  @ApiParam({ name: 'model' })
  @ApiOkResponse({ schema: MODEL })
  async model(@Param('model') id: string) {
    const { services } = await this.bus.request(Subjects.services.list, {});
    if (!services.some((s) => s.service_id === id)) throw new NotFoundException({ detail: `The model '${id.slice(0, 128)}' does not exist` });
    return modelOf(id);
  }

  @Post([...OpenAiRoutes.chat])
  @HttpCode(200)
  @StreamRoute({ ticketParam: false })
  @ApiOperation({
    summary: 'Chat completion: model = service id, the last user message is the input',
    description:
      "`stream: false`: a `chat.completion` once the run ends (504 past SERVICE_RUN_TIMEOUT_MS). `stream: true`: `chat.completion.chunk` frames, then `data: [DONE]`. Header `X-Request-ID`: the run's request id (a job id). A client that disconnects does not cancel the run unless CHAT_CANCEL_ON_DISCONNECT=true.",
  })
  @ApiBody({ schema: CHAT_BODY })
  @ApiProduces('application/json', 'text/event-stream')
  @ApiOkResponse({ schema: CHAT_COMPLETION })
  async chat(@Body() raw: unknown, @Req() req: Request, @Res() res: Response) {
    const body = parseChatRequest(raw);
    const { input, options } = chatInput(body);
    const created = Math.floor(Date.now() / 1000);
    if (body.stream) {
      const run = await this.runs.start(body.model, input, options).catch(modelNotFound(body.model));
      this.cancelOnDisconnect(run.request_id, res);
      res.setHeader('X-Request-ID', run.request_id);
      const format = new ChatStreamFormat(run.request_id, body.model, created, () => this.runs.report(run.request_id));
      return this.stream.serve(run.request_id, 0, req, res, format);
    }
    const gone = new AbortController();
    res.once('close', () => !res.writableFinished && gone.abort());
    const { requestId, outcome } = await this.runs.runToEnd(body.model, input, options, gone.signal).catch(modelNotFound(body.model));
    res.setHeader('X-Request-ID', requestId);
    if (outcome === 'aborted') return this.config.CHAT_CANCEL_ON_DISCONNECT ? this.runs.cancel(requestId).catch(() => undefined) : undefined;
    if (outcome === 'timeout') return res.status(504).json(openAiError(504, `sync service timeout (request ${requestId} goes on)`));
    if (outcome === 'shutdown')
      return res
        .status(503)
        .setHeader('Retry-After', '2')
        .json(openAiError(503, `the gateway is restarting (request ${requestId} goes on)`));
    if (outcome.status !== 'success') return res.status(500).json(openAiError(500, outcome.error));
    return res.json(chatCompletion(requestId, body.model, created, outcome.result ?? ''));
  }

  /** CHAT_CANCEL_ON_DISCONNECT: a stream whose client leaves before its end cancels the run (as the caller). */
  private cancelOnDisconnect(requestId: string, res: Response): void {
    if (!this.config.CHAT_CANCEL_ON_DISCONNECT) return;
    const ctx = RequestContextStore.current();
    res.once('close', () => {
      if (res.writableFinished || !ctx) return;
      void RequestContextStore.run(ctx, () => this.runs.cancel(requestId)).catch(() => undefined);
    });
  }
}

/** An unknown service is an unknown model (404, `model_not_found`). */
const modelNotFound =
  (model: string) =>
  (err: unknown): never => {
    if ((err as { status?: number })?.status === 404) throw new NotFoundException({ detail: `The model '${model.slice(0, 128)}' does not exist` });
    throw err;
  };
