import { Module } from '@nestjs/common';
import { AgentRepository } from './registry/agent.repository';
import { AgentsNatsController } from './registry/agents.nats.controller';
import { AgentsService } from './registry/agents.service';
import { Delivery } from './tasks/delivery';
import { Dispatcher } from './tasks/dispatcher';
import { CoordinatorMetrics } from './tasks/coordinator-metrics';
import { Sweeper } from './tasks/sweeper';
import { TaskLifecycle } from './tasks/task-lifecycle';
import { TaskRepository } from './tasks/task.repository';
import { TasksNatsController } from './tasks/tasks.nats.controller';
import { TasksService } from './tasks/tasks.service';

/** Registry, priority queues, dispatch and the sweeper; AgentRepository and TaskRepository hold all the SQL. CoordinatorConfig, Bus and the DataSource come from AppModule. */
@Module({
  controllers: [AgentsNatsController, TasksNatsController],
  providers: [AgentRepository, TaskRepository, AgentsService, TasksService, TaskLifecycle, Delivery, Dispatcher, Sweeper, CoordinatorMetrics],
  exports: [AgentsService, TasksService, Dispatcher, Sweeper, TaskLifecycle],
})
export class CoordinatorModule {}
