import type { TaskDeliveryReply } from './replies';
import type { TaskDelivery } from './requests';

/* Shape checks for the messages a coordinator and its platform workers exchange directly. */

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export const isTaskDelivery = (v: unknown): v is TaskDelivery =>
  isObject(v) && typeof v.task_id === 'string' && typeof v.agent_id === 'string' && typeof v.token === 'string' && isObject(v.task_data);

/** Any object: an agent that answers `{}` has accepted the task (see `interpret` in the coordinator's delivery). */
export const isTaskDeliveryReply = (v: unknown): v is TaskDeliveryReply => isObject(v);
