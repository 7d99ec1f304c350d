import type { ServiceInfo } from './model';

export interface ServiceList {
  services: ServiceInfo[];
}

/** A service run was accepted: its job exists and is queued. */
export interface ServiceRunAccepted {
  request_id: string;
  service_id: string;
  agent_type: string;
}
