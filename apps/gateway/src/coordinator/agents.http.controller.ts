import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put } from '@nestjs/common';
import { ApiBody, ApiOperation, ApiTags } from '@nestjs/swagger';
import { DiscoverAgentsDto, HeartbeatDto, RegisterAgentDto, UpdateAgentStatusDto, Subjects } from '@platform/contracts';
import { Bus } from '@platform/runtime';
import { agentId } from '../http/not-found';

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
