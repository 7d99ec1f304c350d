/**
 * The OpenAI-compatible front's paths: under `/v1` as OpenAI's SDKs expect them (`baseURL: …/v1`), and
 * `/chat/completions` at the root as the agentUniverse server serves it. The controllers route by them
 * and the error body is chosen by them (`http/error-shapes.ts`).
 */
export const OpenAiRoutes = {
  chat: ['v1/chat/completions', 'chat/completions'],
  models: 'v1/models',
  model: 'v1/models/:model',
} as const;

export const isOpenAiPath = (path: string): boolean => /^\/(v1\/)?chat\/completions\/?$|^\/v1\/models(\/[^/]+)?\/?$/i.test(path);
