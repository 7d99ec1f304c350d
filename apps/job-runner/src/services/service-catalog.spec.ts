import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { DEFAULT_SERVICES, parseServices, unknownAgentTypes } from './service-catalog';

describe('service catalog', () => {
  it('ships demo_service → echo as the default', () => {
    expect(DEFAULT_SERVICES).toEqual([{ service_id: 'demo_service', agent_type: 'echo', description: 'A demo service used for explaining.', options: {} }]);
  });

  it('reads YAML and JSON, with the original key names as aliases', () => {
    const yaml = `
services:
  - service_id: demo_service
    agent_type: echo
    description: 'A demo service used for explaining.'
  - name: researcher        # the original's key names
    agent: shallow_researcher
    metadata: { type: SERVICE }
    options: { collections: [docs] }
`;
    expect(parseServices(yaml, 'f')).toEqual([
      { service_id: 'demo_service', agent_type: 'echo', description: 'A demo service used for explaining.', options: {} },
      { service_id: 'researcher', agent_type: 'shallow_researcher', description: '', options: { collections: ['docs'] } },
    ]);
    expect(parseServices(JSON.stringify([{ service_id: 's', agent_type: 'echo', description: 'd' }]), 'f')).toEqual([
      { service_id: 's', agent_type: 'echo', description: 'd', options: {} },
    ]);
  });

  it('parses the example file in config/', () => {
    const file = path.join(process.cwd(), 'config/services.example.yaml');
    const services = parseServices(readFileSync(file, 'utf8'), file);
    expect(services.map((s) => s.service_id)).toContain('demo_service');
    expect(unknownAgentTypes(services, ['echo', 'shallow_researcher', 'deep_researcher'], file)).toBeNull();
  });

  it('names every problem in one message', () => {
    const bad = `services:
  - service_id: "bad id"
    agent_type: echo
  - service_id: a
  - service_id: b
    agent_type: echo
    colour: red
    options: [1]
  - service_id: b
    agent_type: echo
    options: { collections: "docs" }
`;
    const message = (() => {
      try {
        parseServices(bad, 'SERVICES_FILE x.yaml');
      } catch (err) {
        return (err as Error).message;
      }
      return '';
    })();
    expect(message).toMatch(/^SERVICES_FILE x.yaml: /);
    expect(message).toContain('services[0] (bad id): service_id must match');
    expect(message).toContain('services[1] (a): agent_type is missing');
    expect(message).toContain("services[2] (b): unknown key 'colour'");
    expect(message).toContain('services[2] (b): options must be an object');
    expect(message).toContain("services[3] (b): service_id 'b' is defined twice");
    expect(message).toContain('services[3] (b): options.collections must be');
    expect(() => parseServices('services: {', 'f')).toThrow(/not valid YAML or JSON/);
    expect(() => parseServices('services: 3', 'f')).toThrow(/expected "services:"/);
  });

  it('names a service whose agent type is unknown', () => {
    const services = parseServices('services: [{service_id: s, agent_type: nope}]', 'SERVICES_FILE f');
    expect(unknownAgentTypes(services, ['echo'], 'SERVICES_FILE f')).toBe(
      "SERVICES_FILE f: service 's' names unknown agent_type 'nope' (known agent types: echo)",
    );
    expect(unknownAgentTypes(DEFAULT_SERVICES, ['echo'], 'x')).toBeNull();
  });
});
