import { Module } from '@nestjs/common';
import { GatewayAuthModule } from '../auth/auth.module';
import { JobsModule } from '../jobs/jobs.module';
import { CouncilController } from './council.http.controller';

/** The AI council API (seed 004, /api/v1) over the job engine. */
@Module({ imports: [JobsModule, GatewayAuthModule], controllers: [CouncilController] })
export class CouncilModule {}
