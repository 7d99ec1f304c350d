import { BullModule, getQueueToken } from '@nestjs/bull';
import { type DynamicModule, Module } from '@nestjs/common';
import {
  AppConfigModule,
  bullRedisOptions,
  BusModule,
  DatabaseHealth,
  databaseModule,
  loggingModule,
  NatsHealth,
  pingController,
  redisHealth,
  ServiceHealthModule,
} from '@platform/runtime';
import { JobRunnerConfig } from './config';
import { database } from './database';
import { HAND_BACK_BACKOFF, handBackBackoff } from './jobs/hand-back';
import { JOBS_QUEUE } from './jobs/job-queue';
import { JobsModule } from './jobs/jobs.module';
import { CoordinationModule } from './coordination/coordination.module';
import { modelCatalogueFrom, ModelsModule } from './agents/models.module';
import { ServicesModule } from './services/services.module';
import { CompoundModule } from './compound/compound.module';
import { version } from '../../../package.json';

@Module({})
export class AppModule {
  /** Throws (before Nest starts) when `LLM_MODELS_FILE` is bad. */
  static forRoot(config: JobRunnerConfig, models = modelCatalogueFrom(config)): DynamicModule {
    const jobs = JobsModule.forRoot(config);
    return {
      module: AppModule,
      imports: [
        AppConfigModule.forRoot(JobRunnerConfig, config),
        ModelsModule.forRoot(models),
        loggingModule('job-runner', config.LOG_LEVEL),
        BusModule.forRoot({ url: config.NATS_URL, name: 'job-runner', requestTimeoutMs: config.NATS_REQUEST_TIMEOUT_MS }),
        databaseModule(config.DATABASE_URL, config.DATABASE_POOL_SIZE, database),
        BullModule.forRoot({
          // Reconnects within a second of Redis returning (Bull's default backoff grows to 20 s).
          redis: bullRedisOptions(config.REDIS_URL),
          prefix: 'platform',
          settings: {
            lockDuration: config.JOB_LOCK_MS,
            lockRenewTime: Math.floor(config.JOB_LOCK_MS / 3),
            stalledInterval: config.JOB_STALLED_CHECK_MS,
            // Stalls are runs lost with their replica. Our own attempt counter decides; Bull only needs to
            // hand the job back. A hand-back (HandBack) is a retry of the entry, never a stall.
            maxStalledCount: config.JOB_MAX_ATTEMPTS,
            // After a Redis error a worker slot waits this long before polling again (default 5 s).
            retryProcessDelay: 1000,
            backoffStrategies: { [HAND_BACK_BACKOFF]: handBackBackoff },
          },
        }),
        jobs,
        ServicesModule,
        CompoundModule,
        CoordinationModule,
        ServiceHealthModule.forRoot({ service: 'job-runner', version }, [DatabaseHealth, NatsHealth, redisHealth(getQueueToken(JOBS_QUEUE))], [jobs]),
      ],
      controllers: [pingController('job-runner')],
    };
  }
}
