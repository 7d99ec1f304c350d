import { Body, Controller, Delete, Get, HttpCode, NotFoundException, Param, Post, Put } from '@nestjs/common';
import { ApiBody, ApiOperation, ApiTags } from '@nestjs/swagger';
import {
  AGENT_ID_PATTERN,
  DiscoverAgentsDto,
  HeartbeatDto,
  RegisterAgentDto,
  SubmitTaskDto,
  TaskResultDto,
  UpdateAgentStatusDto,
  Subjects,
} from '@platform/contracts';
import { Bus } from '@platform/runtime';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** An id that cannot exist is answered 404 here, without a NATS round trip. */
function agentId(id: string): string {
  if (!AGENT_ID_PATTERN.test(id)) throw new NotFoundException({ detail: 'Agent not found' });
  return id;
}
function taskId(id: string): string {
  if (!UUID.test(id)) throw new NotFoundException({ detail: 'Task not found' });
  return id.toLowerCase();
}

/** Seed 001's agent registry API. Thin: validation here, the registry in agent-coordinator. */
@ApiTags('agents')
@Controller('agents')
export class AgentsController {
  constructor(private readonly bus: Bus) {}

  @Post('register')
  @HttpCode(200)
  @ApiOperation({ summary: 'Register (or re-register) an agent' })
  @ApiBody({ type: RegisterAgentDto })
  register(@Body() body: RegisterAgentDto) {
    return this.bus.request(Subjects.coordinator.agents.register, body);
  }

  @Post('discover')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Find agents by status, type, capabilities and services (all must match)',
  })
  @ApiBody({ type: DiscoverAgentsDto })
  discover(@Body() body: DiscoverAgentsDto) {
    return this.bus.request(Subjects.coordinator.agents.discover, body);
  }

  @Get(':agent_id')
  @ApiOperation({ summary: 'One agent, with load metrics and health score' })
  get(@Param('agent_id') id: string) {
    return this.bus.request(Subjects.coordinator.agents.get, {
      agent_id: agentId(id),
    });
  }

  @Put(':agent_id/status')
  @ApiOperation({ summary: 'Set an agent status and load metrics' })
  @ApiBody({ type: UpdateAgentStatusDto })
  updateStatus(@Param('agent_id') id: string, @Body() body: UpdateAgentStatusDto) {
    return this.bus.request(Subjects.coordinator.agents.status, {
      ...body,
      agent_id: agentId(id),
    });
  }

  @Post(':agent_id/heartbeat')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Heartbeat (optionally with status and load metrics); brings a stale agent back',
  })
  @ApiBody({ type: HeartbeatDto, required: false })
  heartbeat(@Param('agent_id') id: string, @Body() body: HeartbeatDto) {
    return this.bus.request(Subjects.coordinator.agents.heartbeat, {
      ...(body ?? {}),
      agent_id: agentId(id),
    });
  }

  @Delete(':agent_id')
  @ApiOperation({
    summary: 'Deregister an agent; the tasks it held go back to their queues',
  })
  deregister(@Param('agent_id') id: string) {
    return this.bus.request(Subjects.coordinator.agents.deregister, {
      agent_id: agentId(id),
    });
  }
}

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
