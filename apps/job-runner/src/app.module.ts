import { BullModule } from '@nestjs/bull';
import { type DynamicModule, Global, Injectable, Module } from '@nestjs/common';
import { InjectQueue } from '@nestjs/bull';
import type { Queue } from 'bull';
import { BusModule, DatabaseHealth, databaseModule, loggingModule, NatsHealth, pingController, ServiceHealthModule, type HealthCheck } from '@platform/runtime';
import { JobRunnerConfig } from './config';
import { database } from './database';
import { JOBS_QUEUE } from './jobs/job-queue';
import { JobsModule } from './jobs/jobs.module';
import { CoordinationModule } from './coordination/coordination.module';
import { version } from '../../../package.json';

@Injectable()
class RedisHealth implements HealthCheck {
  readonly name = 'redis';
  constructor(@InjectQueue(JOBS_QUEUE) private readonly queue: Queue) {}
  async isUp(): Promise<boolean> {
    return (await this.queue.client.ping()) === 'PONG';
  }
}

@Global()
@Module({})
class ConfigHolder {
  static forRoot(config: JobRunnerConfig): DynamicModule {
    return { module: ConfigHolder, providers: [{ provide: JobRunnerConfig, useValue: config }], exports: [JobRunnerConfig] };
  }
}

@Module({})
export class AppModule {
  static forRoot(config: JobRunnerConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigHolder.forRoot(config),
        loggingModule('job-runner', config.LOG_LEVEL),
        BusModule.forRoot({ url: config.NATS_URL, name: 'job-runner', requestTimeoutMs: config.NATS_REQUEST_TIMEOUT_MS }),
        databaseModule(config.DATABASE_URL, config.DATABASE_POOL_SIZE, database),
        BullModule.forRoot({
          redis: config.REDIS_URL,
          prefix: 'platform',
          settings: {
            lockDuration: config.JOB_LOCK_MS,
            lockRenewTime: Math.floor(config.JOB_LOCK_MS / 3),
            stalledInterval: config.JOB_STALLED_CHECK_MS,
            // Our own attempt counter decides; Bull only needs to hand the job back.
            maxStalledCount: config.JOB_MAX_ATTEMPTS,
          },
        }),
        JobsModule,
        CoordinationModule,
        ServiceHealthModule.forRoot({ service: 'job-runner', version }, [DatabaseHealth, NatsHealth, RedisHealth], [JobsModule]),
      ],
      controllers: [pingController('job-runner')],
    };
  }
}
