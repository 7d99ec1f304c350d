import { Controller } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { AgentRef, DiscoverAgentsDto, HeartbeatCommand, RegisterAgentDto, Subjects, UpdateAgentStatusCommand, type Principal } from '@platform/contracts';
import { Caller } from '@platform/runtime';
import { AgentsService } from './agents.service';

/** NATS face of the agent registry; the gateway's /agents routes land here (validation, context and errors: bootstrapService). */
@Controller()
export class AgentsNatsController {
  constructor(private readonly agents: AgentsService) {}

  @MessagePattern(Subjects.coordinator.agents.register)
  register(@Payload() dto: RegisterAgentDto, @Caller() caller: Principal) {
    return this.agents.register(dto, caller);
  }

  @MessagePattern(Subjects.coordinator.agents.discover)
  discover(@Payload() dto: DiscoverAgentsDto, @Caller() caller: Principal) {
    return this.agents.discover(dto, caller);
  }

  @MessagePattern(Subjects.coordinator.agents.get)
  getAgent(@Payload() ref: AgentRef, @Caller() caller: Principal) {
    return this.agents.get(ref.agent_id, caller);
  }

  @MessagePattern(Subjects.coordinator.agents.status)
  updateStatus(@Payload() cmd: UpdateAgentStatusCommand, @Caller() caller: Principal) {
    return this.agents.updateStatus(cmd, caller);
  }

  @MessagePattern(Subjects.coordinator.agents.heartbeat)
  heartbeat(@Payload() cmd: HeartbeatCommand, @Caller() caller: Principal) {
    return this.agents.heartbeat(cmd, caller);
  }

  @MessagePattern(Subjects.coordinator.agents.deregister)
  deregister(@Payload() ref: AgentRef, @Caller() caller: Principal) {
    return this.agents.deregister(ref.agent_id, caller);
  }
}
