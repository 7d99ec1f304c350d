import { Inject, Injectable } from '@nestjs/common';
import { Subjects, type CompoundTaskAccepted } from '@platform/contracts';
import { Bus } from '@platform/runtime';
import { GatewayConfig } from '../config';

const POLL_MS = 100;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Starts a compound task and waits (up to COMPOUND_PLAN_TIMEOUT_MS) until its plan exists. */
@Injectable()
export class CompoundTasks {
  constructor(
    private readonly bus: Bus,
    @Inject(GatewayConfig) private readonly config: GatewayConfig,
  ) {}

  /** `planned` with the subtask count once the plan exists; `planning` (the caller answers 202) when it did not in time. */
  async start(prompt: string): Promise<CompoundTaskAccepted> {
    const accepted = await this.bus.request(Subjects.compound.submit, { prompt });
    const deadline = Date.now() + this.config.COMPOUND_PLAN_TIMEOUT_MS;
    while (Date.now() < deadline) {
      const p = await this.bus.request(Subjects.compound.progress, { task_id: accepted.id });
      if (p.status !== 'planning')
        return { id: p.id, status: p.status === 'failed' || p.status === 'cancelled' ? p.status : 'planned', subtask_count: p.subtasks.length };
      await sleep(POLL_MS);
    }
    return accepted;
  }
}
