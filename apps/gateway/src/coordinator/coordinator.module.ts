import { Module } from '@nestjs/common';
import { AgentsController } from './agents.http.controller';
import { TasksController } from './tasks.http.controller';

/** The agent-coordinator's HTTP surface (agent coordinator API): /agents/… and /tasks/…; `GET /health` lives in health/. */
@Module({ controllers: [AgentsController, TasksController] })
export class CoordinatorModule {}
