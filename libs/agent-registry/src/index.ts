export * from './agent';
export * from './registry';
export * from './agent-registry.module';
export * from './openai-llm.client';
export * from './agents/built-in-agents.module';
export * from './agents/echo.agent';
export * from './agents/shallow-researcher.agent';
export * from './agents/deep-researcher.agent';
