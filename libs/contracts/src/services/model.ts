/**
 * A service (agentUniverse web API): a name callers use instead of an agent type, mapped by
 * configuration (`SERVICES_FILE`, read by job-runner) to an agent type, with a description and
 * default agent options that a request's own options override.
 */
export interface ServiceDefinition {
  service_id: string;
  agent_type: string;
  description: string;
  /** Agent options every run of this service gets, under the request's own. */
  options: Record<string, unknown>;
}

/** What callers may see of a service (no default options). */
export interface ServiceInfo {
  service_id: string;
  agent_type: string;
  description: string;
}

/** A service run's id is its job's id: 32 lowercase hex characters (a UUID without dashes, as the original server makes them). */
export const REQUEST_ID_PATTERN = /^[0-9a-f]{32}$/;
