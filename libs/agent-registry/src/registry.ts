import { Injectable, type OnModuleInit, SetMetadata, applyDecorators } from '@nestjs/common';
import { DiscoveryService } from '@nestjs/core';
import type { AgentDescriptor, AgentImplementation } from './agent';

const AGENT_METADATA = 'platform:agent';

/**
 * Marks a provider as an agent. Any module that provides such a class contributes the agent: the
 * registry discovers it, so adding an agent never means editing a central list (the counterpart of
 * the seed's `register_agent`).
 */
export function Agent(descriptor: AgentDescriptor): ClassDecorator {
  if (!/^[a-z][a-z0-9_]{0,63}$/.test(descriptor.agent_type)) throw new Error(`invalid agent_type ${descriptor.agent_type}`);
  return applyDecorators(Injectable(), SetMetadata(AGENT_METADATA, descriptor));
}

/** Maps `agent_type` to its implementation and description. */
@Injectable()
export class AgentRegistry implements OnModuleInit {
  private readonly agents = new Map<string, { descriptor: AgentDescriptor; impl: AgentImplementation }>();

  constructor(private readonly discovery: DiscoveryService) {}

  onModuleInit(): void {
    for (const wrapper of this.discovery.getProviders()) {
      const { metatype, instance } = wrapper;
      if (!metatype || !instance) continue;
      const descriptor = Reflect.getMetadata(AGENT_METADATA, metatype) as AgentDescriptor | undefined;
      if (descriptor) this.register(descriptor, instance as AgentImplementation);
    }
  }

  register(descriptor: AgentDescriptor, impl: AgentImplementation): void {
    if (this.agents.has(descriptor.agent_type)) throw new Error(`agent_type ${descriptor.agent_type} registered twice`);
    this.agents.set(descriptor.agent_type, { descriptor, impl });
  }

  get(agentType: string): AgentImplementation | undefined {
    return this.agents.get(agentType)?.impl;
  }

  has(agentType: string): boolean {
    return this.agents.has(agentType);
  }

  list(): AgentDescriptor[] {
    return [...this.agents.values()].map((a) => a.descriptor).sort((a, b) => a.agent_type.localeCompare(b.agent_type));
  }
}
