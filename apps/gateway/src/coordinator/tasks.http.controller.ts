import { Body, Controller, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiBody, ApiOperation, ApiTags } from '@nestjs/swagger';
import { SubmitTaskDto, TaskResultDto, Subjects } from '@platform/contracts';
import { Bus } from '@platform/runtime';
import { taskId } from '../http/not-found';

/** Seed 001's task API plus `GET /tasks/{task_id}` and the agents' result callback. */
@ApiTags('tasks')
@Controller('tasks')
export class TasksController {
  constructor(private readonly bus: Bus) {}

  @Post('submit')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Submit a task (priority: urgent, critical, high, normal, low)',
  })
  @ApiBody({ type: SubmitTaskDto })
  submit(@Body() body: SubmitTaskDto) {
    return this.bus.request(Subjects.coordinator.tasks.submit, body);
  }

  @Get('status')
  @ApiOperation({
    summary: 'Distribution statistics and load balancer metrics',
  })
  status() {
    return this.bus.request(Subjects.coordinator.tasks.status, {});
  }

  @Get('queues')
  @ApiOperation({ summary: 'Waiting tasks per priority' })
  queues() {
    return this.bus.request(Subjects.coordinator.tasks.queues, {});
  }

  @Get('queues/stats')
  @ApiOperation({
    summary: 'Queue sizes, oldest waits and distribution statistics',
  })
  queueStats() {
    return this.bus.request(Subjects.coordinator.tasks.queueStats, {});
  }

  @Post('queues/:priority/clear')
  @HttpCode(200)
  @ApiOperation({ summary: "Drain one priority's waiting tasks" })
  clear(@Param('priority') priority: string) {
    return this.bus.request(Subjects.coordinator.tasks.clear, {
      priority: priority.slice(0, 64),
    });
  }

  @Get(':task_id')
  @ApiOperation({ summary: 'One task: state, assigned agent, result, timings' })
  get(@Param('task_id') id: string) {
    return this.bus.request(Subjects.coordinator.tasks.get, {
      task_id: taskId(id),
    });
  }

  @Post(':task_id/result')
  @HttpCode(200)
  @ApiOperation({
    summary: 'An agent reports the outcome of a task delivered to it (with the delivery token)',
  })
  @ApiBody({ type: TaskResultDto })
  result(@Param('task_id') id: string, @Body() body: TaskResultDto) {
    return this.bus.request(Subjects.coordinator.tasks.result, {
      ...body,
      task_id: taskId(id),
    });
  }
}
