import { Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { AgentRegistry } from './registry';

@Module({ imports: [DiscoveryModule], providers: [AgentRegistry], exports: [AgentRegistry] })
export class AgentRegistryModule {}
