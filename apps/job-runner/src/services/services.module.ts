import { Module } from '@nestjs/common';
import { AgentRegistryModule } from '@platform/agent-registry';
import { JobsModule } from '../jobs/jobs.module';
import { ServiceCatalog } from './service-catalog';
import { ServicesNatsController } from './services.nats.controller';
import { ServicesService } from './services.service';

/** The agentUniverse service catalog (SERVICES_FILE) over the job engine. */
@Module({
  imports: [JobsModule, AgentRegistryModule],
  controllers: [ServicesNatsController],
  providers: [ServiceCatalog, ServicesService],
})
export class ServicesModule {}
