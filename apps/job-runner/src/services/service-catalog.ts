import { readFileSync } from 'node:fs';
import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { parse } from 'yaml';
import { SERVICE_ID_PATTERN, type ServiceDefinition, type ServiceInfo } from '@platform/contracts';
import { AgentRegistry } from '@platform/agent-registry';
import { JobRunnerConfig } from '../config';

/** The catalog when SERVICES_FILE is unset: the agentUniverse documentation's own example. */
export const DEFAULT_SERVICES: readonly ServiceDefinition[] = Object.freeze([
  { service_id: 'demo_service', agent_type: 'echo', description: 'A demo service used for explaining.', options: {} },
]);

const KEYS = new Set(['service_id', 'name', 'agent_type', 'agent', 'description', 'options', 'metadata']);
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Why a `collections` option is unusable, or null when it is absent or a valid list (as on the job API's submit). */
export function collectionsProblem(value: unknown): string | null {
  if (value === undefined) return null;
  const ok = Array.isArray(value) && value.length <= 20 && value.every((c) => typeof c === 'string' && c.length >= 1 && c.length <= 63);
  return ok ? null : 'collections must be a list of at most 20 collection names of 1-63 characters';
}

/**
 * Reads a services document (YAML, or JSON, which is YAML too):
 * `services: [{service_id, agent_type, description, options}]` (or the list alone). The original
 * server's key names `name` and `agent` are accepted for `service_id` and `agent_type`, and its
 * `metadata` is ignored. Throws one error naming every problem.
 */
export function parseServices(text: string, source: string): ServiceDefinition[] {
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (err) {
    throw new Error(`${source}: not valid YAML or JSON: ${(err as Error).message}`);
  }
  const list: unknown = isObject(doc) ? doc.services : doc;
  if (!Array.isArray(list)) throw new Error(`${source}: expected "services:" with a list of services`);
  const problems: string[] = [];
  const services: ServiceDefinition[] = [];
  const seen = new Set<string>();
  list.forEach((entry: unknown, i) => {
    const where = `services[${i}]`;
    if (!isObject(entry)) return problems.push(`${where} is not an object`);
    const id = entry.service_id ?? entry.name;
    const agentType = entry.agent_type ?? entry.agent;
    const label = typeof id === 'string' ? `${where} (${id})` : where;
    for (const key of Object.keys(entry)) if (!KEYS.has(key)) problems.push(`${label}: unknown key '${key}'`);
    if (typeof id !== 'string' || !SERVICE_ID_PATTERN.test(id)) problems.push(`${label}: service_id must match ${SERVICE_ID_PATTERN.source}`);
    else if (seen.has(id)) problems.push(`${label}: service_id '${id}' is defined twice`);
    if (typeof agentType !== 'string' || agentType.length === 0) problems.push(`${label}: agent_type is missing`);
    if (entry.description !== undefined && typeof entry.description !== 'string') problems.push(`${label}: description must be a string`);
    if (entry.options !== undefined && !isObject(entry.options)) problems.push(`${label}: options must be an object`);
    const collections = collectionsProblem(isObject(entry.options) ? entry.options.collections : undefined);
    if (collections) problems.push(`${label}: options.${collections}`);
    if (typeof id === 'string') seen.add(id);
    services.push({
      service_id: String(id),
      agent_type: String(agentType),
      description: typeof entry.description === 'string' ? entry.description : '',
      options: isObject(entry.options) ? entry.options : {},
    });
  });
  if (problems.length) throw new Error(`${source}: ${problems.join('; ')}`);
  return services;
}

/** Services naming an agent type the registry does not have, as one message (null when all are known). */
export function unknownAgentTypes(services: readonly ServiceDefinition[], known: readonly string[], source: string): string | null {
  const bad = services.filter((s) => !known.includes(s.agent_type));
  if (bad.length === 0) return null;
  const list = bad.map((s) => `service '${s.service_id}' names unknown agent_type '${s.agent_type}'`).join('; ');
  return `${source}: ${list} (known agent types: ${known.join(', ')})`;
}

/**
 * The service catalog: `service_id → agent_type` with a description and default options, from
 * SERVICES_FILE (or DEFAULT_SERVICES). Owned by job-runner because it is checked against the agent
 * registry here: a service naming an agent type this process does not have stops start-up.
 */
@Injectable()
export class ServiceCatalog implements OnApplicationBootstrap {
  private readonly logger = new Logger(ServiceCatalog.name);
  private readonly byId: Map<string, ServiceDefinition>;
  private readonly source: string;

  constructor(
    @Inject(JobRunnerConfig) config: JobRunnerConfig,
    private readonly registry: AgentRegistry,
  ) {
    const file = config.SERVICES_FILE;
    this.source = file ? `SERVICES_FILE ${file}` : 'the built-in service catalog';
    let services: readonly ServiceDefinition[] = DEFAULT_SERVICES;
    if (file) {
      let text: string;
      try {
        text = readFileSync(file, 'utf8');
      } catch (err) {
        throw new Error(`SERVICES_FILE ${file} cannot be read: ${(err as Error).message}`);
      }
      services = parseServices(text, this.source);
    }
    this.byId = new Map(services.map((s) => [s.service_id, s]));
  }

  /** After every module's init, so the registry has discovered every agent. */
  onApplicationBootstrap(): void {
    const problem = unknownAgentTypes(
      [...this.byId.values()],
      this.registry.list().map((a) => a.agent_type),
      this.source,
    );
    if (problem) throw new Error(problem);
    this.logger.log(`${this.byId.size} service(s) from ${this.source}: ${[...this.byId.keys()].join(', ')}`);
  }

  get(serviceId: string): ServiceDefinition | undefined {
    return this.byId.get(serviceId);
  }

  list(): ServiceInfo[] {
    return [...this.byId.values()].map(({ service_id, agent_type, description }) => ({ service_id, agent_type, description }));
  }
}
