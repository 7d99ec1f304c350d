import type { SchemaObject } from '@nestjs/swagger';

/* The OpenAI-compatible front's shapes for the OpenAPI document (the subset this front reads and writes). */

export const OPENAI_ERROR: SchemaObject = {
  type: 'object',
  properties: {
    error: {
      type: 'object',
      properties: { message: { type: 'string' }, type: { type: 'string' }, param: { type: 'string', nullable: true }, code: { type: 'string' } },
    },
  },
  example: { error: { message: "The model 'nope' does not exist", type: 'invalid_request_error', param: null, code: 'model_not_found' } },
};

export const CHAT_BODY: SchemaObject = {
  type: 'object',
  required: ['model', 'messages'],
  additionalProperties: true,
  description: 'Other OpenAI parameters (temperature, max_tokens, …) are accepted and ignored.',
  properties: {
    model: { type: 'string', description: 'A service id (GET /v1/models)', example: 'demo_service' },
    messages: {
      type: 'array',
      minItems: 1,
      items: {
        type: 'object',
        required: ['role'],
        properties: {
          role: { type: 'string', enum: ['system', 'developer', 'user', 'assistant', 'tool', 'function'] },
          content: { oneOf: [{ type: 'string' }, { type: 'array', items: { type: 'object' } }], nullable: true },
        },
      },
      example: [{ role: 'user', content: 'Hello!' }],
    },
    stream: { type: 'boolean', default: false },
  },
};

export const CHAT_COMPLETION: SchemaObject = {
  type: 'object',
  description: '`stream: false`. With `stream: true` the body is `text/event-stream` of `chat.completion.chunk` objects, then `data: [DONE]`.',
  properties: {
    id: { type: 'string', example: 'chatcmpl-7dd7d737b6b64c3c92addf541e73e97c' },
    object: { type: 'string', enum: ['chat.completion'] },
    created: { type: 'integer' },
    model: { type: 'string' },
    choices: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          index: { type: 'integer' },
          message: {
            type: 'object',
            properties: { role: { type: 'string', enum: ['assistant'] }, content: { type: 'string' }, refusal: { type: 'string', nullable: true } },
          },
          logprobs: { type: 'object', nullable: true },
          finish_reason: { type: 'string', enum: ['stop'] },
        },
      },
    },
  },
};

export const MODEL: SchemaObject = {
  type: 'object',
  properties: { id: { type: 'string' }, object: { type: 'string', enum: ['model'] }, created: { type: 'integer' }, owned_by: { type: 'string' } },
  example: { id: 'demo_service', object: 'model', created: 0, owned_by: 'agent-platform' },
};

export const MODEL_LIST: SchemaObject = { type: 'object', properties: { object: { type: 'string', enum: ['list'] }, data: { type: 'array', items: MODEL } } };
