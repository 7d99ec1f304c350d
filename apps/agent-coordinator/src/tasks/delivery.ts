import { Inject, Injectable } from '@nestjs/common';
import { Subjects, type TaskDelivery, type TaskDeliveryReply } from '@platform/contracts';
import { Bus } from '@platform/runtime';
import { CoordinatorConfig } from '../config';
import type { AttemptOutcome } from './task-lifecycle';

export type DeliveryOutcome = { status: 'accepted' } | AttemptOutcome;

/**
 * Hands one task to one agent. External agents get an HTTP POST on `endpoints.http`; platform workers
 * (job-runner processes) a NATS request on `endpoints.nats`. The answer is either the result itself, or
 * an acceptance (the result comes later on `coordinator.tasks.result`).
 */
@Injectable()
export class Delivery {
  constructor(
    private readonly bus: Bus,
    @Inject(CoordinatorConfig) private readonly config: CoordinatorConfig,
  ) {}

  async deliver(endpoints: Record<string, string>, payload: TaskDelivery): Promise<DeliveryOutcome> {
    if (endpoints.nats) return this.viaNats(endpoints.nats, payload);
    if (endpoints.http) {
      const { principal: _principal, ...external } = payload; // the owner's identity stays inside the platform
      return this.viaHttp(endpoints.http, external);
    }
    return {
      status: 'failed',
      error: 'agent has no endpoint to deliver to',
      unreachable: true,
    };
  }

  private async viaHttp(url: string, payload: TaskDelivery): Promise<DeliveryOutcome> {
    let res: Response;
    try {
      res = await fetch(url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-task-id': payload.task_id,
        },
        body: JSON.stringify(payload),
        signal: AbortSignal.timeout(this.config.COORDINATOR_DELIVERY_TIMEOUT_MS),
      });
    } catch (err) {
      const e = err as Error & { cause?: { code?: string } };
      return {
        status: 'failed',
        error: `agent unreachable at ${url}: ${e.cause?.code ?? e.name ?? e.message}`,
        unreachable: true,
      };
    }
    const text = await res.text().catch(() => '');
    if (!res.ok) return { status: 'failed', error: `agent answered HTTP ${res.status}` };
    return interpret(parse(text));
  }

  /** `endpoints.nats` is `coordinator.deliver.<agent_id>` (checked at registration); the bus builds it from the agent id. */
  private async viaNats(subject: string, payload: TaskDelivery): Promise<DeliveryOutcome> {
    try {
      return interpret(await this.bus.requestAt(Subjects.coordinator.deliver, payload.agent_id, payload, this.config.COORDINATOR_DELIVERY_TIMEOUT_MS));
    } catch (err) {
      return {
        status: 'failed',
        error: `worker unreachable on ${subject}: ${(err as Error).message}`,
        unreachable: true,
      };
    }
  }
}

function parse(text: string): TaskDeliveryReply | null {
  if (!text) return null;
  try {
    const v = JSON.parse(text) as unknown;
    return typeof v === 'object' && v !== null ? (v as TaskDeliveryReply) : null;
  } catch {
    return null;
  }
}

/** `{status: completed|failed}` is a synchronous result; anything else (202, `{accepted: true}`) means "working on it". */
export function interpret(reply: TaskDeliveryReply | null): DeliveryOutcome {
  if (reply?.status === 'completed') return { status: 'completed', result: reply.result ?? null };
  if (reply?.status === 'failed')
    return {
      status: 'failed',
      error: String(reply.error ?? 'agent reported failure'),
    };
  if (reply?.accepted === false)
    return {
      status: 'failed',
      error: String(reply.error ?? 'agent declined the task'),
    };
  return { status: 'accepted' };
}
