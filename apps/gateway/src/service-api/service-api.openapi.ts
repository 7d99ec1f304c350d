import type { SchemaObject } from '@nestjs/swagger';

/* The service API's request and reply shapes for the OpenAPI document (the DTOs carry no swagger metadata). */

const REQUEST_ID: SchemaObject = { type: 'string', pattern: '^[0-9a-f]{32}$', example: '7dd7d737b6b64c3c92addf541e73e97c' };

export const SERVICE_RUN_BODY: SchemaObject = {
  type: 'object',
  required: ['service_id', 'params'],
  additionalProperties: false,
  properties: {
    service_id: { type: 'string', minLength: 1, maxLength: 128, example: 'demo_service' },
    params: {
      type: 'object',
      additionalProperties: true,
      description:
        "The agent's input is the first present of `input`, `query`, `question`, `query_content`, `request` (a non-empty string); the whole object is passed to the agent as options (`collections`: knowledge collections it may search).",
      example: { input: 'Hello!' },
    },
    saved: { type: 'boolean', description: 'Accepted for compatibility: every run is durable here.' },
  },
};

export const CANCEL_BODY: SchemaObject = {
  type: 'object',
  required: ['request_id'],
  additionalProperties: false,
  properties: { request_id: REQUEST_ID },
};

/** `{success, result, message, request_id}` with this `result`. */
export function envelope(result: SchemaObject, example?: unknown): SchemaObject {
  return {
    type: 'object',
    required: ['success', 'result', 'message', 'request_id'],
    properties: {
      success: { type: 'boolean' },
      result: { ...result, nullable: true },
      message: { type: 'string', nullable: true, description: 'The error when `success` is false, else null.' },
      request_id: { ...REQUEST_ID, nullable: true },
    },
    ...(example !== undefined && { example }),
  };
}

export const ERROR_ENVELOPE = envelope({ type: 'object' }, { success: false, result: null, message: 'service no_such_service not found', request_id: null });

const STEP: SchemaObject = {
  type: 'object',
  description:
    'One step the agent took: `{type: "workflow", name, done}`, `{type: "tool", name, input, output, error?, done}`, `{type: "llm", model, step?, text, done}` (the whole text of a model call) or `{type: "error", message}`.',
  required: ['type'],
  properties: { type: { type: 'string', enum: ['workflow', 'tool', 'llm', 'error'] } },
  additionalProperties: true,
};

export const RUN_RESULT: SchemaObject = {
  type: 'object',
  required: ['result', 'state', 'steps'],
  properties: {
    result: { description: 'The run\'s result (the agent\'s answer) when finished; `{"error_msg": …}` when it failed or was cancelled; null before.' },
    state: { type: 'string', enum: ['init', 'running', 'finished', 'fail', 'canceled'] },
    steps: { type: 'array', items: STEP },
  },
};

export const AGENT_LIST: SchemaObject = {
  type: 'object',
  required: ['success', 'data'],
  properties: {
    success: { type: 'boolean' },
    data: {
      type: 'array',
      items: {
        type: 'object',
        required: ['agent_name', 'service_id', 'description'],
        properties: {
          agent_name: { type: 'string', description: 'The agent type the service runs' },
          service_id: { type: 'string' },
          description: { type: 'string' },
        },
      },
    },
  },
  example: { success: true, data: [{ agent_name: 'echo', service_id: 'demo_service', description: 'A demo service used for explaining.' }] },
};
