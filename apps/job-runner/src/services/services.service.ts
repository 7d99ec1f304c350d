import { Injectable } from '@nestjs/common';
import { ErrorCode, type Principal, type ServiceList, type ServiceRunAccepted, type SubmitServiceRunCommand } from '@platform/contracts';
import { rpcError } from '@platform/runtime';
import { JobsService } from '../jobs/jobs.service';
import { collectionsProblem, ServiceCatalog } from './service-catalog';

/** A service run is a job of the service's agent type whose id is the request id: nothing else runs it. */
@Injectable()
export class ServicesService {
  constructor(
    private readonly catalog: ServiceCatalog,
    private readonly jobs: JobsService,
  ) {}

  list(): ServiceList {
    return { services: this.catalog.list() };
  }

  async submit(cmd: SubmitServiceRunCommand, principal: Principal): Promise<ServiceRunAccepted> {
    const service = this.catalog.get(cmd.service_id);
    if (!service) throw rpcError(ErrorCode.NOT_FOUND, `service ${cmd.service_id} not found`);
    const options = { ...service.options, ...cmd.options };
    const problem = collectionsProblem(options.collections);
    if (problem) throw rpcError(ErrorCode.INVALID_REQUEST, problem);
    const job = await this.jobs.submit(
      {
        agent_type: service.agent_type,
        input: cmd.input,
        job_id: cmd.request_id,
        collections: options.collections as string[] | undefined,
        agent_options: options,
      },
      principal,
    );
    return { request_id: job.job_id, service_id: service.service_id, agent_type: service.agent_type };
  }
}
