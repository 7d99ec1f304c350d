import { BullModule } from '@nestjs/bull';
import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AgentRegistryModule, BuiltInAgentsModule } from '@platform/agent-registry';
import { agentServiceProviders } from '../agents/agent-services';
import { ActiveRuns } from './active-runs';
import { EventLog } from './event-log';
import { JobEntity } from './job.entity';
import { JOBS_QUEUE, JobQueue } from './job-queue';
import { JobStore } from './job.store';
import { JobSweeper } from './job-sweeper';
import { JobWorker } from './job.worker';
import { JobsNatsController } from './jobs.nats.controller';
import { JobsService } from './jobs.service';

@Module({
  imports: [TypeOrmModule.forFeature([JobEntity]), BullModule.registerQueue({ name: JOBS_QUEUE }), AgentRegistryModule, BuiltInAgentsModule],
  controllers: [JobsNatsController],
  providers: [JobStore, EventLog, JobQueue, JobsService, ActiveRuns, JobWorker, JobSweeper, ...agentServiceProviders],
  exports: [EventLog, JobStore, JobsService, BullModule],
})
export class JobsModule {}
