import { Inject, Injectable } from '@nestjs/common';
import type { Models } from '@platform/agent-registry';
import {
  COUNCIL_AGENT_TYPE,
  ErrorCode,
  ownerOf,
  type CancelJobReply,
  type CouncilAccepted,
  type CouncilList,
  type CouncilRequestView,
  type Principal,
  type SubmitCouncilCommand,
} from '@platform/contracts';
import { rpcError } from '@platform/runtime';
import { MODELS } from '../agents/agent-services';
import { JobsService } from '../jobs/jobs.service';
import type { CouncilJobOptions } from './council.agent';
import { CouncilRepository } from './council.repository';
import { toView } from './council-view';

/** Council requests on the job engine: a request is a `council` job whose id is the request id, plus its row in `council_requests`. */
@Injectable()
export class CouncilService {
  constructor(
    private readonly jobs: JobsService,
    private readonly repo: CouncilRepository,
    @Inject(MODELS) private readonly models: Models | null,
  ) {}

  async submit(cmd: SubmitCouncilCommand, principal: Principal): Promise<CouncilAccepted> {
    const config = cmd.synthesisStrategy?.config;
    // Models named in the request must be in the catalogue (without one, the run fails SERVICE_UNAVAILABLE).
    if (this.models && config?.embeddingModel && !this.models.catalogue.embeddingModels.some((m) => m.name === config.embeddingModel))
      throw rpcError(
        ErrorCode.INVALID_REQUEST,
        `synthesisStrategy.config.embeddingModel '${config.embeddingModel}' is not an embedding model of the catalogue`,
        undefined,
        400,
      );
    if (this.models && config?.synthesizerModel && !this.models.catalogue.chatModels.some((m) => m.name === config.synthesizerModel))
      throw rpcError(
        ErrorCode.INVALID_REQUEST,
        `synthesisStrategy.config.synthesizerModel '${config.synthesizerModel}' is not a chat model of the catalogue`,
        undefined,
        400,
      );
    const options: CouncilJobOptions = { sessionId: cmd.sessionId ?? null, synthesisStrategy: cmd.synthesisStrategy };
    const job = await this.jobs.submit(
      { agent_type: COUNCIL_AGENT_TYPE, input: cmd.query, job_id: cmd.request_id, agent_options: { council: options } },
      principal,
    );
    const createdAt = await this.repo.insert({ id: job.job_id, owner: ownerOf(principal), sessionId: cmd.sessionId ?? null, query: cmd.query });
    return { requestId: job.job_id, status: 'processing', createdAt: new Date(createdAt).toISOString() };
  }

  async get(id: string, includeDeliberation: boolean, principal: Principal): Promise<CouncilRequestView> {
    const row = await this.repo.findOwned(id, ownerOf(principal));
    if (!row) throw rpcError(ErrorCode.NOT_FOUND, `Request '${id}' not found`);
    return toView(row, includeDeliberation);
  }

  async list(limit: number, offset: number, principal: Principal): Promise<CouncilList> {
    const { rows, total } = await this.repo.list(ownerOf(principal), limit, offset);
    return { data: rows.map((r) => toView(r)), pagination: { limit, offset, total, hasMore: offset + rows.length < total } };
  }

  async cancel(id: string, principal: Principal): Promise<CancelJobReply> {
    if (!(await this.repo.findOwned(id, ownerOf(principal)))) throw rpcError(ErrorCode.NOT_FOUND, `Request '${id}' not found`);
    return this.jobs.cancel(id, principal);
  }
}
