import { type DynamicModule, Module } from '@nestjs/common';
import { BusModule, DatabaseHealth, databaseModule, loggingModule, NatsHealth, pingController, ServiceHealthModule } from '@platform/runtime';
import { IngestorConfig } from './config';
import { database } from './database';
import { version } from '../../../package.json';

@Module({})
export class AppModule {
  static forRoot(config: IngestorConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        loggingModule('knowledge-ingestor', config.LOG_LEVEL),
        BusModule.forRoot({ url: config.NATS_URL, name: 'knowledge-ingestor', requestTimeoutMs: config.NATS_REQUEST_TIMEOUT_MS }),
        databaseModule(config.DATABASE_URL, config.DATABASE_POOL_SIZE, database),
        ServiceHealthModule.forRoot({ service: 'knowledge-ingestor', version }, [DatabaseHealth, NatsHealth]),
      ],
      controllers: [pingController('knowledge-ingestor')],
      providers: [{ provide: IngestorConfig, useValue: config }],
      exports: [IngestorConfig],
    };
  }
}
