import { Controller, UseFilters, UseInterceptors, UsePipes } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import {
  AgentRef,
  ClearQueueCommand,
  CoordinatorSubjects,
  DiscoverAgentsDto,
  HeartbeatCommand,
  RegisterAgentDto,
  SubmitTaskDto,
  TaskRef,
  TaskResultCommand,
  UpdateAgentStatusCommand,
  type Principal,
} from '@platform/contracts';
import { Caller, RpcContextInterceptor, RpcErrorFilter, rpcValidationPipe } from '@platform/runtime';
import { AgentsService } from './registry/agents.service';
import { TasksService } from './tasks/tasks.service';

/**
 * NATS face of the coordinator; the gateway's /agents and /tasks routes land here. The context
 * interceptor, validation pipe and error filter are bound here as well as globally: with Nest 12,
 * bootstrapService's global registration on the connected microservice comes too late and is ignored
 * ("registration must occur before initialization"), which would make every caller anonymous.
 */
@Controller()
@UseInterceptors(RpcContextInterceptor)
@UsePipes(rpcValidationPipe())
@UseFilters(RpcErrorFilter)
export class CoordinatorController {
  constructor(
    private readonly agents: AgentsService,
    private readonly tasks: TasksService,
  ) {}

  @MessagePattern(CoordinatorSubjects.register)
  register(@Payload() dto: RegisterAgentDto, @Caller() caller: Principal) {
    return this.agents.register(dto, caller);
  }

  @MessagePattern(CoordinatorSubjects.discover)
  discover(@Payload() dto: DiscoverAgentsDto, @Caller() caller: Principal) {
    return this.agents.discover(dto, caller);
  }

  @MessagePattern(CoordinatorSubjects.getAgent)
  getAgent(@Payload() ref: AgentRef, @Caller() caller: Principal) {
    return this.agents.get(ref.agent_id, caller);
  }

  @MessagePattern(CoordinatorSubjects.updateStatus)
  updateStatus(@Payload() cmd: UpdateAgentStatusCommand, @Caller() caller: Principal) {
    return this.agents.updateStatus(cmd, caller);
  }

  @MessagePattern(CoordinatorSubjects.heartbeat)
  heartbeat(@Payload() cmd: HeartbeatCommand, @Caller() caller: Principal) {
    return this.agents.heartbeat(cmd, caller);
  }

  @MessagePattern(CoordinatorSubjects.deregister)
  deregister(@Payload() ref: AgentRef, @Caller() caller: Principal) {
    return this.agents.deregister(ref.agent_id, caller);
  }

  @MessagePattern(CoordinatorSubjects.submitTask)
  submit(@Payload() dto: SubmitTaskDto, @Caller() caller: Principal) {
    return this.tasks.submit(dto, caller);
  }

  @MessagePattern(CoordinatorSubjects.taskStatus)
  status(@Caller() caller: Principal) {
    return this.tasks.status(caller);
  }

  @MessagePattern(CoordinatorSubjects.queues)
  queues(@Caller() caller: Principal) {
    return this.tasks.queues(caller);
  }

  @MessagePattern(CoordinatorSubjects.queueStats)
  queueStats(@Caller() caller: Principal) {
    return this.tasks.queueStats(caller);
  }

  @MessagePattern(CoordinatorSubjects.clearQueue)
  clear(@Payload() cmd: ClearQueueCommand, @Caller() caller: Principal) {
    return this.tasks.clear(cmd.priority, caller);
  }

  @MessagePattern(CoordinatorSubjects.getTask)
  getTask(@Payload() ref: TaskRef, @Caller() caller: Principal) {
    return this.tasks.get(ref.task_id, caller);
  }

  @MessagePattern(CoordinatorSubjects.taskResult)
  result(@Payload() cmd: TaskResultCommand) {
    return this.tasks.result(cmd);
  }
}
