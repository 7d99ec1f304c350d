import { BullModule, InjectQueue } from '@nestjs/bull';
import { type DynamicModule, Global, Injectable, Module } from '@nestjs/common';
import type { Queue } from 'bull';
import { BusModule, DatabaseHealth, databaseModule, loggingModule, NatsHealth, pingController, ServiceHealthModule, type HealthCheck } from '@platform/runtime';
import { IngestorConfig } from './config';
import { database } from './database';
import { INGEST_QUEUE } from './knowledge/ingest-queue';
import { KnowledgeModule } from './knowledge/knowledge.module';
import { version } from '../../../package.json';

@Injectable()
class RedisHealth implements HealthCheck {
  readonly name = 'redis';
  constructor(@InjectQueue(INGEST_QUEUE) private readonly queue: Queue) {}
  async isUp(): Promise<boolean> {
    return (await this.queue.client.ping()) === 'PONG';
  }
}

@Global()
@Module({})
class ConfigHolder {
  static forRoot(config: IngestorConfig): DynamicModule {
    return { module: ConfigHolder, providers: [{ provide: IngestorConfig, useValue: config }], exports: [IngestorConfig] };
  }
}

@Module({})
export class AppModule {
  static forRoot(config: IngestorConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigHolder.forRoot(config),
        loggingModule('knowledge-ingestor', config.LOG_LEVEL),
        BusModule.forRoot({ url: config.NATS_URL, name: 'knowledge-ingestor', requestTimeoutMs: config.NATS_REQUEST_TIMEOUT_MS }),
        databaseModule(config.DATABASE_URL, config.DATABASE_POOL_SIZE, database),
        BullModule.forRoot({ redis: config.REDIS_URL, prefix: 'platform' }),
        KnowledgeModule,
        ServiceHealthModule.forRoot({ service: 'knowledge-ingestor', version }, [DatabaseHealth, NatsHealth, RedisHealth], [KnowledgeModule]),
      ],
      controllers: [pingController('knowledge-ingestor')],
    };
  }
}
