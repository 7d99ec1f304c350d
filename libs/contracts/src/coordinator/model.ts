/* Agent coordinator (the agent coordinator API document): registry, discovery, heartbeats, priority task queues. */

export const AGENT_STATUSES = ['active', 'inactive', 'busy', 'stale'] as const;
export type AgentStatus = (typeof AGENT_STATUSES)[number];

/** Highest first; FIFO within one priority. */
export const TASK_PRIORITIES = ['urgent', 'critical', 'high', 'normal', 'low'] as const;
export type TaskPriority = (typeof TASK_PRIORITIES)[number];
export const isTaskPriority = (p: unknown): p is TaskPriority => typeof p === 'string' && (TASK_PRIORITIES as readonly string[]).includes(p);

export const TASK_STATES = ['queued', 'assigned', 'completed', 'failed', 'cancelled'] as const;
export type TaskState = (typeof TASK_STATES)[number];

export const AGENT_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.:@-]{0,127}$/;
export const AGENT_ID_MESSAGE = 'agent_id must be 1-128 characters: letters, digits and _ . : @ - (starting with a letter or digit)';
