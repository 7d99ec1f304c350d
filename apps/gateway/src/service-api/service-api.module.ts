import { Module } from '@nestjs/common';
import { JobsModule } from '../jobs/jobs.module';
import { ServiceApiController } from './service-api.http.controller';
import { ServiceRuns } from './service-runs';

/** The agentUniverse service API (service_run, …) over the job engine. */
@Module({ imports: [JobsModule], controllers: [ServiceApiController], providers: [ServiceRuns], exports: [ServiceRuns] })
export class ServiceApiModule {}
