import './tracing';
import 'reflect-metadata';
import { bootstrapService, loadConfig, runCli, runMigrations } from '@platform/runtime';
import { AppModule } from './app.module';
import { JobRunnerConfig } from './config';
import { database } from './database';

void runCli(
  async () => {
    const config = loadConfig(JobRunnerConfig);
    await bootstrapService({
      service: 'job-runner',
      module: AppModule.forRoot(config),
      port: config.JOB_RUNNER_PORT,
      natsUrl: config.NATS_URL,
      queue: 'job-runner',
    });
  },
  () => runMigrations(loadConfig(JobRunnerConfig).DATABASE_URL, database),
);
