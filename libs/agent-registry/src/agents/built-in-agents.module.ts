import { Module } from '@nestjs/common';
import { DeepResearcherAgent } from './deep-researcher.agent';
import { EchoAgent } from './echo.agent';
import { ShallowResearcherAgent } from './shallow-researcher.agent';

/** The agents that ship with the platform. Other modules contribute theirs the same way. */
@Module({ providers: [EchoAgent, ShallowResearcherAgent, DeepResearcherAgent] })
export class BuiltInAgentsModule {}
