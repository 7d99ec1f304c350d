import type { SchemaObject } from '@nestjs/swagger';
import { SYNTHESIS_STRATEGIES, FALLBACK_STRATEGIES, NEGOTIATION_MODES } from '@platform/contracts';

/* The AI council API's shapes for the OpenAPI document (the DTOs carry no swagger metadata). */

const REQUEST_ID: SchemaObject = { type: 'string', format: 'uuid', example: '550e8400-e29b-41d4-a716-446655440000' };

export const COUNCIL_REQUEST_BODY: SchemaObject = {
  type: 'object',
  required: ['query'],
  additionalProperties: false,
  properties: {
    query: { type: 'string', minLength: 1, maxLength: 100_000, example: 'What are the key differences between TypeScript and JavaScript?' },
    sessionId: {
      type: 'string',
      pattern: '^[A-Za-z0-9_.:-]{1,128}$',
      description: "Carries context: the session's earlier queries and decisions go to the members.",
    },
    streaming: { type: 'boolean', description: 'Accepted; every request can be streamed from GET /requests/{requestId}/stream.' },
    synthesisStrategy: {
      type: 'object',
      required: ['type'],
      additionalProperties: false,
      properties: {
        type: { type: 'string', enum: [...SYNTHESIS_STRATEGIES], default: 'consensus-extraction' },
        config: {
          type: 'object',
          additionalProperties: false,
          properties: {
            maxRounds: { type: 'integer', minimum: 1, maximum: 10, default: 3 },
            agreementThreshold: { type: 'number', minimum: 0, maximum: 1, default: 0.8 },
            fallbackStrategy: { type: 'string', enum: [...FALLBACK_STRATEGIES], default: 'meta-synthesis' },
            embeddingModel: { type: 'string', description: 'A catalogue embedding model for the agreement measure' },
            earlyTerminationEnabled: { type: 'boolean', default: true },
            negotiationMode: { type: 'string', enum: [...NEGOTIATION_MODES], default: 'parallel' },
            synthesizerModel: { type: 'string', description: 'A catalogue chat model that writes the answer (default: the default model)' },
          },
        },
      },
    },
  },
};

export const ACCEPTED: SchemaObject = {
  type: 'object',
  properties: { requestId: REQUEST_ID, status: { type: 'string', enum: ['processing'] }, createdAt: { type: 'string', format: 'date-time' } },
};

const ERROR_INFO: SchemaObject = {
  type: 'object',
  properties: { code: { type: 'string' }, message: { type: 'string' }, retryable: { type: 'boolean' } },
};

export const REQUEST_VIEW: SchemaObject = {
  type: 'object',
  properties: {
    requestId: REQUEST_ID,
    status: { type: 'string', enum: ['processing', 'completed', 'failed'] },
    query: { type: 'string' },
    sessionId: { type: 'string', nullable: true },
    consensusDecision: { type: 'string' },
    confidence: { type: 'string', enum: ['high', 'medium', 'low'] },
    agreementLevel: { type: 'number', minimum: 0, maximum: 1 },
    cost: { type: 'number', description: 'Sum over every model call: catalogue prices × reported usage' },
    latency: { type: 'integer', description: 'ms from acceptance to completion' },
    createdAt: { type: 'string', format: 'date-time' },
    completedAt: { type: 'string', format: 'date-time' },
    error: ERROR_INFO,
    deliberation: {
      type: 'object',
      description: "With ?include=deliberation: every round with each member's answer, latency, cost and error, and the round's agreement",
    },
  },
};

export const REQUEST_LIST: SchemaObject = {
  type: 'object',
  properties: {
    data: { type: 'array', items: REQUEST_VIEW },
    pagination: {
      type: 'object',
      properties: { limit: { type: 'integer' }, offset: { type: 'integer' }, total: { type: 'integer' }, hasMore: { type: 'boolean' } },
    },
  },
};

export const COUNCIL_ERROR: SchemaObject = {
  type: 'object',
  properties: {
    error: {
      type: 'object',
      properties: { code: { type: 'string' }, message: { type: 'string' }, details: { type: 'object' }, retryable: { type: 'boolean' } },
    },
    requestId: { type: 'string', nullable: true },
    timestamp: { type: 'string', format: 'date-time' },
  },
  example: {
    error: { code: 'NOT_FOUND', message: "Request '550e8400-e29b-41d4-a716-446655440000' not found", details: {}, retryable: false },
    requestId: 'b6f1c1de-3c55-4a4a-9d1c-1f0b7a1d2e3f',
    timestamp: '2024-01-15T10:30:00.000Z',
  },
};
