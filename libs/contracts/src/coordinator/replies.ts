import type { AgentStatus, TaskPriority, TaskState } from './model';

/* What the coordinator answers on NATS; the gateway returns these bodies as they are. */

export interface AgentView {
  agent_id: string;
  agent_type: string;
  status: AgentStatus;
  capabilities: string[];
  services: string[];
  endpoints: Record<string, string>;
  metadata: Record<string, unknown>;
  last_heartbeat: string;
  registration_time: string;
  load_metrics: Record<string, number>;
  health_score: number;
  version: string;
  tags: string[];
  /** Tasks assigned to it and not finished yet (what least-connections placement counts). */
  active_tasks: number;
}

export interface RegisterAgentReply {
  status: 'success';
  message: string;
  agent_id: string;
  registered_at: string;
}

export interface DiscoverAgentsReply {
  status: 'success';
  query: Record<string, unknown>;
  agents: AgentView[];
  count: number;
  timestamp: string;
}

export interface GetAgentReply {
  status: 'success';
  agent: AgentView;
  timestamp: string;
}

export interface UpdateAgentStatusReply {
  status: 'success';
  message: string;
  agent_id: string;
  new_status: AgentStatus;
  updated_at: string;
}

export interface HeartbeatReply {
  status: 'success';
  message: string;
  agent_id: string;
  agent_status: AgentStatus;
  health_score: number;
  /** How often the coordinator expects a heartbeat, so agents can pace themselves. */
  heartbeat_interval_ms: number;
  timestamp: string;
}

export interface DeregisterAgentReply {
  status: 'success';
  message: string;
  agent_id: string;
  requeued_tasks: number;
  timestamp: string;
}

export interface SubmitTaskReply {
  status: 'success';
  message: string;
  task_id: string;
  priority: TaskPriority;
  submitted_at: string;
}

export type QueueSizes = Record<TaskPriority, number>;

export interface LoadBalancerStats {
  strategy: 'least_connections';
  total_assignments: number;
  successful_assignments: number;
  failed_assignments: number;
  success_rate: number;
  active_agents: number;
  agent_weights: number;
  avg_agent_load: number;
}

export interface TaskStats {
  tasks_distributed: number;
  tasks_completed: number;
  tasks_failed: number;
  /** Seconds from (re)queueing to assignment, averaged over every assignment. */
  avg_distribution_time: number;
  load_balancer_stats: LoadBalancerStats;
  queue_sizes: QueueSizes;
}

export interface TaskStatusReply {
  status: 'success';
  stats: TaskStats;
  timestamp: string;
}

export interface QueuesReply {
  status: 'success';
  queue_sizes: QueueSizes;
  total: number;
  timestamp: string;
}

export interface QueueStatsReply {
  status: 'success';
  queue_sizes: QueueSizes;
  total: number;
  /** Age in seconds of the oldest waiting task of each priority (null when empty). */
  oldest_wait_seconds: Record<TaskPriority, number | null>;
  stats: TaskStats;
  timestamp: string;
}

export interface ClearQueueReply {
  status: 'success';
  message: string;
  priority: TaskPriority;
  cleared: number;
  timestamp: string;
}

export interface TaskView {
  task_id: string;
  priority: TaskPriority;
  status: TaskState;
  task_data: Record<string, unknown>;
  requirements: { capabilities?: string[]; agent_type?: string };
  assigned_agent: string | null;
  attempts: number;
  max_attempts: number;
  result: unknown;
  error: string | null;
  submitted_at: string;
  assigned_at: string | null;
  completed_at: string | null;
  /** Seconds from submission to the (latest) assignment. */
  distribution_time: number | null;
}

export interface GetTaskReply {
  status: 'success';
  task: TaskView;
  timestamp: string;
}

export interface TaskResultReply {
  status: 'success';
  accepted: boolean;
  task_id: string;
  task_status: TaskState;
  timestamp: string;
}

export interface TaskDeliveryReply {
  accepted?: boolean;
  status?: 'completed' | 'failed';
  result?: unknown;
  error?: string;
}
