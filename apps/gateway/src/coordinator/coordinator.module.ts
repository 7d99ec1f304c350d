import { Module } from '@nestjs/common';
import { AgentsController, TasksController } from './coordinator.controller';

/** The agent-coordinator's HTTP surface (seed 001): /agents/… and /tasks/…; `GET /health` lives in health/. */
@Module({ controllers: [AgentsController, TasksController] })
export class CoordinatorModule {}
