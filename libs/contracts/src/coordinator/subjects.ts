import type {
  ClearQueueReply,
  DeregisterAgentReply,
  DiscoverAgentsReply,
  GetAgentReply,
  GetTaskReply,
  HeartbeatReply,
  QueueStatsReply,
  QueuesReply,
  RegisterAgentReply,
  SubmitTaskReply,
  TaskDeliveryReply,
  TaskResultReply,
  TaskStatusReply,
  UpdateAgentStatusReply,
} from './replies';
import type {
  AgentRef,
  ClearQueueCommand,
  DiscoverAgentsDto,
  EmptyRequest,
  HeartbeatCommand,
  RegisterAgentDto,
  SubmitTaskDto,
  TaskDelivery,
  TaskRef,
  TaskResultCommand,
  UpdateAgentStatusCommand,
} from './requests';

/**
 * The agent coordinator's subjects. `agents.*` and `tasks.*` are answered by the coordinator's queue
 * group; `deliver` is addressed to one platform worker (`coordinator.deliver.<agent_id>`, see `subjectFor`).
 */
export const CoordinatorSubjects = {
  agents: {
    register: 'coordinator.agents.register',
    discover: 'coordinator.agents.discover',
    get: 'coordinator.agents.get',
    status: 'coordinator.agents.status',
    heartbeat: 'coordinator.agents.heartbeat',
    deregister: 'coordinator.agents.deregister',
  },
  tasks: {
    submit: 'coordinator.tasks.submit',
    status: 'coordinator.tasks.status',
    queues: 'coordinator.tasks.queues',
    queueStats: 'coordinator.tasks.queueStats',
    clear: 'coordinator.tasks.clear',
    get: 'coordinator.tasks.get',
    result: 'coordinator.tasks.result',
  },
  /** A task handed to one platform worker (a job-runner process): request/reply, answered by that process alone. */
  deliver: 'coordinator.deliver',
} as const;

export interface CoordinatorRpc {
  'coordinator.agents.register': { request: RegisterAgentDto; reply: RegisterAgentReply };
  'coordinator.agents.discover': { request: DiscoverAgentsDto; reply: DiscoverAgentsReply };
  'coordinator.agents.get': { request: AgentRef; reply: GetAgentReply };
  'coordinator.agents.status': { request: UpdateAgentStatusCommand; reply: UpdateAgentStatusReply };
  'coordinator.agents.heartbeat': { request: HeartbeatCommand; reply: HeartbeatReply };
  'coordinator.agents.deregister': { request: AgentRef; reply: DeregisterAgentReply };
  'coordinator.tasks.submit': { request: SubmitTaskDto; reply: SubmitTaskReply };
  'coordinator.tasks.status': { request: EmptyRequest; reply: TaskStatusReply };
  'coordinator.tasks.queues': { request: EmptyRequest; reply: QueuesReply };
  'coordinator.tasks.queueStats': { request: EmptyRequest; reply: QueueStatsReply };
  'coordinator.tasks.clear': { request: ClearQueueCommand; reply: ClearQueueReply };
  'coordinator.tasks.get': { request: TaskRef; reply: GetTaskReply };
  'coordinator.tasks.result': { request: TaskResultCommand; reply: TaskResultReply };
}

export interface CoordinatorAddressed {
  'coordinator.deliver': { request: TaskDelivery; reply: TaskDeliveryReply };
}
