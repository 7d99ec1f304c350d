import type { SchemaObject } from '@nestjs/swagger';

/* The compound task API's request and reply shapes for the OpenAPI document (the seed's pydantic models). */

const TASK_ID: SchemaObject = { type: 'string', pattern: '^compound-[0-9a-f]{12}$', example: 'compound-a1b2c3d4e5f6' };
const TIME: SchemaObject = { type: 'string', format: 'date-time' };
const nullable = (s: SchemaObject): SchemaObject => ({ ...s, nullable: true });
const TASK_STATUS: SchemaObject = { type: 'string', enum: ['planning', 'planned', 'executing', 'completed', 'partial', 'failed', 'cancelled'] };

export const COMPOUND_TASK_BODY: SchemaObject = {
  type: 'object',
  required: ['prompt'],
  additionalProperties: false,
  properties: {
    prompt: { type: 'string', minLength: 1, maxLength: 5000, description: 'The request to decompose and execute' },
    token: { type: 'string', description: 'A credential, checked like the Authorization bearer token (used when that header is absent)' },
  },
  example: { prompt: 'Search for Python concurrency patterns and asyncio pitfalls, then summarize the top 3' },
};

export const COMPOUND_TASK_ACCEPTED: SchemaObject = {
  type: 'object',
  required: ['id', 'status', 'subtask_count'],
  properties: { id: TASK_ID, status: TASK_STATUS, subtask_count: { type: 'integer' } },
  example: { id: 'compound-a1b2c3d4e5f6', status: 'planned', subtask_count: 3 },
};

const SUBTASK: SchemaObject = {
  type: 'object',
  required: ['id', 'index', 'description', 'tier_hint', 'tier_assigned', 'model', 'depends_on', 'status', 'result', 'cost', 'started_at', 'completed_at'],
  properties: {
    id: { type: 'string', description: "`<task id>-sub-<index>`, also the id of the subtask's child job", example: 'compound-a1b2c3d4e5f6-sub-0' },
    index: { type: 'integer' },
    description: { type: 'string' },
    tier_hint: { type: 'integer', minimum: 1, maximum: 3 },
    tier_assigned: nullable({ type: 'integer' }),
    model: nullable({ type: 'string' }),
    depends_on: { type: 'array', items: { type: 'integer' } },
    status: { type: 'string', enum: ['pending', 'running', 'completed', 'failed', 'skipped', 'cancelled'] },
    result: nullable({ type: 'string', description: 'The answer when completed; the error when failed' }),
    cost: nullable({ type: 'number' }),
    started_at: nullable(TIME),
    completed_at: nullable(TIME),
  },
};

export const TASK_PROGRESS: SchemaObject = {
  type: 'object',
  required: ['id', 'prompt', 'status', 'reasoning', 'subtasks', 'created_at', 'planned_at', 'completed_at', 'total_cost'],
  properties: {
    id: TASK_ID,
    prompt: { type: 'string' },
    status: TASK_STATUS,
    reasoning: { type: 'string' },
    subtasks: { type: 'array', items: SUBTASK },
    created_at: TIME,
    planned_at: TIME,
    completed_at: nullable(TIME),
    total_cost: { type: 'number', description: "The sum of the subtasks' costs (catalogue prices × reported usage)" },
  },
};

export const TASK_SUMMARIES: SchemaObject = {
  type: 'array',
  items: {
    type: 'object',
    required: ['id', 'prompt', 'status', 'subtask_count', 'completed_count', 'total_cost', 'created_at', 'completed_at'],
    properties: {
      id: TASK_ID,
      prompt: { type: 'string' },
      status: TASK_STATUS,
      subtask_count: { type: 'integer' },
      completed_count: { type: 'integer' },
      total_cost: { type: 'number' },
      created_at: TIME,
      completed_at: nullable(TIME),
    },
  },
};

export const CANCEL_REPLY: SchemaObject = {
  type: 'object',
  required: ['id', 'status'],
  properties: { id: TASK_ID, status: { type: 'string', enum: ['cancelled'] } },
};

export const DETAIL: SchemaObject = { type: 'object', required: ['detail'], properties: { detail: {} } };
