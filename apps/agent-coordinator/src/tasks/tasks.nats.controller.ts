import { Controller } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { ClearQueueCommand, SubmitTaskDto, Subjects, TaskRef, TaskResultCommand, type Principal } from '@platform/contracts';
import { Caller } from '@platform/runtime';
import { TasksService } from './tasks.service';

/** NATS face of the priority task queues; the gateway's /tasks routes land here (validation, context and errors: bootstrapService). */
@Controller()
export class TasksNatsController {
  constructor(private readonly tasks: TasksService) {}

  @MessagePattern(Subjects.coordinator.tasks.submit)
  submit(@Payload() dto: SubmitTaskDto, @Caller() caller: Principal) {
    return this.tasks.submit(dto, caller);
  }

  @MessagePattern(Subjects.coordinator.tasks.status)
  status(@Caller() caller: Principal) {
    return this.tasks.status(caller);
  }

  @MessagePattern(Subjects.coordinator.tasks.queues)
  queues(@Caller() caller: Principal) {
    return this.tasks.queues(caller);
  }

  @MessagePattern(Subjects.coordinator.tasks.queueStats)
  queueStats(@Caller() caller: Principal) {
    return this.tasks.queueStats(caller);
  }

  @MessagePattern(Subjects.coordinator.tasks.clear)
  clear(@Payload() cmd: ClearQueueCommand, @Caller() caller: Principal) {
    return this.tasks.clear(cmd.priority, caller);
  }

  @MessagePattern(Subjects.coordinator.tasks.get)
  getTask(@Payload() ref: TaskRef, @Caller() caller: Principal) {
    return this.tasks.get(ref.task_id, caller);
  }

  @MessagePattern(Subjects.coordinator.tasks.result)
  result(@Payload() cmd: TaskResultCommand) {
    return this.tasks.result(cmd);
  }
}
