import { Module } from '@nestjs/common';
import { AgentRegistryModule } from '@platform/agent-registry';
import { loadConfig } from '@platform/runtime';
import { WorkerAgent } from './worker-agent';
import { WorkerAgentConfig } from './worker-agent.config';

/** This job-runner process as an agent of the coordinator (see WorkerAgent). */
@Module({
  imports: [AgentRegistryModule],
  providers: [
    {
      provide: WorkerAgentConfig,
      useFactory: () => loadConfig(WorkerAgentConfig),
    },
    WorkerAgent,
  ],
  exports: [WorkerAgent],
})
export class CoordinationModule {}
