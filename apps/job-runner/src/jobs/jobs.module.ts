import { BullModule } from '@nestjs/bull';
import { type DynamicModule, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AgentRegistryModule, BuiltInAgentsModule } from '@platform/agent-registry';
import { agentServiceProviders } from '../agents/agent-services';
import { ActiveRuns } from './active-runs';
import { EventLog } from './event-log';
import { JobEntity } from './job.entity';
import { JOBS_QUEUE, JobQueue } from './job-queue';
import { JobStore } from './job.store';
import { JobSweeper } from './job-sweeper';
import { JobProcessor } from './job.processor';
import { JobsNatsController } from './jobs.nats.controller';
import { JobsService } from './jobs.service';
import { QueueReconciler } from './queue-reconciler';
import { JobRunnerConfig } from '../config';

@Module({
  imports: [TypeOrmModule.forFeature([JobEntity]), BullModule.registerQueue({ name: JOBS_QUEUE }), AgentRegistryModule, BuiltInAgentsModule],
  controllers: [JobsNatsController],
  providers: [JobStore, EventLog, JobQueue, QueueReconciler, JobsService, ActiveRuns, JobSweeper, ...agentServiceProviders],
  exports: [EventLog, JobStore, JobsService, JobQueue, BullModule],
})
export class JobsModule {
  /** The jobs domain with its queue consumer, unless JOB_CONCURRENCY is 0: an API-only replica never consumes the queue. */
  static forRoot(config: JobRunnerConfig): DynamicModule {
    return { module: JobsModule, providers: config.JOB_CONCURRENCY > 0 ? [JobProcessor.withConcurrency(config.JOB_CONCURRENCY)] : [] };
  }
}
