import { Module } from '@nestjs/common';
import { AgentRegistryModule } from '@platform/agent-registry';
import { JobsModule } from '../jobs/jobs.module';
import { CouncilAgent } from './council.agent';
import { CouncilNatsController } from './council.nats.controller';
import { CouncilRepository } from './council.repository';
import { CouncilService } from './council.service';

/** The AI council (seed 004): its agent, its requests' table and its NATS subjects, over the job engine. */
@Module({
  imports: [JobsModule, AgentRegistryModule],
  controllers: [CouncilNatsController],
  providers: [CouncilAgent, CouncilRepository, CouncilService],
})
export class CouncilModule {}
