import { Module } from '@nestjs/common';
import { JobsModule } from '../jobs/jobs.module';
import { CompoundAgent } from './compound.agent';
import { CompoundTasks } from './compound-tasks';
import { CompoundNatsController } from './compound.nats.controller';
import { CompoundService } from './compound.service';
import { SubtaskAgent } from './subtask.agent';

/** Compound tasks (seed 003): the `compound` and `subtask` agents and the task commands, over the job engine. */
@Module({
  imports: [JobsModule],
  controllers: [CompoundNatsController],
  providers: [CompoundTasks, CompoundService, CompoundAgent, SubtaskAgent],
})
export class CompoundModule {}
