import { ConflictException, Inject, Injectable } from '@nestjs/common';
import { ErrorCode, Subjects, type CancelJobReply, type JobEvent, type ServiceRunAccepted } from '@platform/contracts';
import { Bus, RemoteError } from '@platform/runtime';
import { GatewayConfig } from '../config';
import { JobEnds } from '../jobs/job-ends';
import { foldSteps, newRequestId, requestNotFound, STATE_BY_STATUS, type ServiceRunState, type ServiceStep } from './service-run';

/** How a run ended, for a caller that waited for it. */
export type RunOutcome = { status: 'success'; result: string | null } | { status: 'failure' | 'interrupted'; error: string };

export interface RunResultView {
  result: unknown;
  state: ServiceRunState;
  steps: ServiceStep[];
}

/**
 * Service runs on the job engine, for the service API and the OpenAI-compatible front: start one
 * (`services.submit`, job-runner resolves the service), wait for its end on the live events, read its
 * result and steps from the job, cancel it. Every request goes out as the caller (owner isolation is
 * job-runner's, as for every job).
 */
@Injectable()
export class ServiceRuns {
  constructor(
    private readonly bus: Bus,
    private readonly ends: JobEnds,
    @Inject(GatewayConfig) private readonly config: GatewayConfig,
  ) {}

  start(serviceId: string, input: string, options: Record<string, unknown>, requestId = newRequestId()): Promise<ServiceRunAccepted> {
    return this.bus.request(Subjects.services.submit, { service_id: serviceId, request_id: requestId, input, options });
  }

  /**
   * Starts a run and waits for its end, event-driven (the live subscription is registered before the
   * submit). 'timeout' after SERVICE_RUN_TIMEOUT_MS, 'aborted' (the client left) and 'shutdown' (this
   * gateway is stopping) leave the run going.
   */
  async runToEnd(
    serviceId: string,
    input: string,
    options: Record<string, unknown>,
    signal?: AbortSignal,
  ): Promise<{ requestId: string; outcome: RunOutcome | 'timeout' | 'aborted' | 'shutdown' }> {
    const requestId = newRequestId();
    const watch = await this.ends.watch(requestId);
    try {
      await this.start(serviceId, input, options, requestId);
      const end = await watch.wait(this.config.SERVICE_RUN_TIMEOUT_MS, signal);
      if (end === 'timeout' || end === 'aborted' || end === 'shutdown') return { requestId, outcome: end };
      if (end.status === 'success') return { requestId, outcome: { status: 'success', result: await this.report(requestId) } };
      return { requestId, outcome: { status: end.status === 'interrupted' ? 'interrupted' : 'failure', error: end.error ?? `run ${end.status}` } };
    } finally {
      watch.stop();
    }
  }

  async report(requestId: string): Promise<string | null> {
    return (await this.known(requestId, this.bus.request(Subjects.jobs.report, { job_id: requestId }))).report;
  }

  /** `service_run_result`: the state mapped from the job's status, the result (or `{error_msg}`), the steps folded from the log. */
  async result(requestId: string): Promise<RunResultView> {
    const events: JobEvent[] = [];
    let page = await this.known(requestId, this.bus.request(Subjects.jobs.events, { job_id: requestId, after: 0 }));
    events.push(...page.events);
    while (page.events.length > 0 && events[events.length - 1].seq < page.last_seq) {
      page = await this.known(requestId, this.bus.request(Subjects.jobs.events, { job_id: requestId, after: events[events.length - 1].seq }));
      events.push(...page.events);
    }
    const state = STATE_BY_STATUS[page.status];
    let result: unknown = null;
    if (page.status === 'success') result = await this.report(requestId);
    else if (page.status === 'failure' || page.status === 'interrupted') {
      const terminal = [...events].reverse().find((e) => e.type === 'job.status' && e.data.status === page.status);
      result = { error_msg: typeof terminal?.data.error === 'string' ? terminal.data.error : page.status };
    }
    return { result, state, steps: foldSteps(events) };
  }

  /** Cancels like the job API; a run that already ended is a 409 naming its state. */
  async cancel(requestId: string): Promise<CancelJobReply> {
    try {
      return await this.known(requestId, this.bus.request(Subjects.jobs.cancel, { job_id: requestId }));
    } catch (err) {
      if (err instanceof RemoteError && err.code === ErrorCode.CONFLICT) {
        const job = await this.known(requestId, this.bus.request(Subjects.jobs.get, { job_id: requestId }));
        throw new ConflictException({ detail: `request ${requestId} already ended (state ${STATE_BY_STATUS[job.status]})` });
      }
      throw err;
    }
  }

  /** The job engine's 404 in this API's words. */
  private async known<T>(requestId: string, reply: Promise<T>): Promise<T> {
    try {
      return await reply;
    } catch (err) {
      if (err instanceof RemoteError && err.code === ErrorCode.NOT_FOUND) throw requestNotFound(requestId);
      throw err;
    }
  }
}
