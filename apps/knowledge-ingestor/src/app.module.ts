import { BullModule, getQueueToken } from '@nestjs/bull';
import { type DynamicModule, Module } from '@nestjs/common';
import {
  AppConfigModule,
  bullRedisOptions,
  BusModule,
  DatabaseHealth,
  databaseModule,
  loggingModule,
  MetricsModule,
  NatsHealth,
  pingController,
  redisHealth,
  ServiceHealthModule,
} from '@platform/runtime';
import { IngestorConfig } from './config';
import { database } from './database';
import { INGEST_QUEUE } from './knowledge/ingest-queue';
import { KnowledgeModule } from './knowledge/knowledge.module';
import { version } from '../../../package.json';

@Module({})
export class AppModule {
  static forRoot(config: IngestorConfig): DynamicModule {
    const knowledge = KnowledgeModule.forRoot(config);
    return {
      module: AppModule,
      imports: [
        AppConfigModule.forRoot(IngestorConfig, config),
        // GET /metrics on the probe port (INGESTOR_PORT).
        MetricsModule.forRoot('knowledge-ingestor', { endpoint: true }),
        loggingModule('knowledge-ingestor', config.LOG_LEVEL),
        BusModule.forRoot({ url: config.NATS_URL, name: 'knowledge-ingestor', requestTimeoutMs: config.NATS_REQUEST_TIMEOUT_MS }),
        databaseModule(config.DATABASE_URL, config.DATABASE_POOL_SIZE, database, config.DATABASE_BREAKER_PROBE_MS),
        // Reconnects within a second of Redis returning (Bull's default backoff grows to 20 s, which also held up shutdown).
        BullModule.forRoot({ redis: bullRedisOptions(config.REDIS_URL), prefix: 'platform' }),
        knowledge,
        ServiceHealthModule.forRoot(
          { service: 'knowledge-ingestor', version },
          [DatabaseHealth, NatsHealth, redisHealth(getQueueToken(INGEST_QUEUE))],
          [knowledge],
        ),
      ],
      controllers: [pingController('knowledge-ingestor')],
    };
  }
}
