import { Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { Subscription } from '@nats-io/transport-node';
import { Subjects } from '@platform/contracts';
import { Bus } from '@platform/runtime';

/**
 * The runs this process is executing, by job id. A cancel reaches whichever replica runs the job
 * through a broadcast subject (no queue group), and aborts that run's AbortSignal.
 */
@Injectable()
export class ActiveRuns implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(ActiveRuns.name);
  private readonly runs = new Map<string, AbortController>();
  private subscription?: Subscription;

  constructor(private readonly bus: Bus) {}

  async onApplicationBootstrap(): Promise<void> {
    this.subscription = await this.bus.subscribe(Subjects.jobs.abort, '*', (msg) => {
      this.abort(msg.job_id, msg.reason ?? 'cancelled');
    });
  }

  start(jobId: string): AbortController {
    const controller = new AbortController();
    this.runs.set(jobId, controller);
    return controller;
  }

  finish(jobId: string, controller: AbortController): void {
    if (this.runs.get(jobId) === controller) this.runs.delete(jobId);
  }

  abort(jobId: string, reason: string): boolean {
    const controller = this.runs.get(jobId);
    if (!controller) return false;
    this.logger.log(`aborting job ${jobId}: ${reason}`);
    controller.abort(new Error(reason));
    return true;
  }

  /** Aborts every run of this process with `reason`; returns how many. */
  abortAll(reason: Error): number {
    for (const controller of this.runs.values()) controller.abort(reason);
    return this.runs.size;
  }

  get size(): number {
    return this.runs.size;
  }

  /** Broadcasts a cancel so the replica running the job aborts it. */
  async requestAbort(jobId: string, reason = 'cancelled'): Promise<void> {
    if (!this.abort(jobId, reason)) await this.bus.publish(Subjects.jobs.abort, jobId, { job_id: jobId, reason });
  }

  onApplicationShutdown(): void {
    this.subscription?.unsubscribe();
  }
}
