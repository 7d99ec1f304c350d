import { randomUUID } from 'node:crypto';
import { NotFoundException, UnprocessableEntityException } from '@nestjs/common';
import { REQUEST_ID_PATTERN, type JobEvent, type JobStatus } from '@platform/contracts';

/*
 * The agentUniverse web API's shapes, mapped onto the job engine: pure functions, so the mapping is
 * tested on its own (service-run.spec.ts) and both the service routes and the OpenAI-compatible ones
 * use the same.
 */

/** Every reply of the service API: `{success, result, message, request_id}`. */
export interface Envelope<T = unknown> {
  success: boolean;
  result: T | null;
  message: string | null;
  request_id: string | null;
}

export const ok = <T>(result: T | null, requestId: string): Envelope<T> => ({ success: true, result, message: null, request_id: requestId });
export const failed = (message: string, requestId: string | null = null): Envelope => ({ success: false, result: null, message, request_id: requestId });

/** The original's TaskStateEnum values, by job status. */
export type ServiceRunState = 'init' | 'running' | 'finished' | 'fail' | 'canceled';
export const STATE_BY_STATUS: Record<JobStatus, ServiceRunState> = {
  submitted: 'init',
  running: 'running',
  success: 'finished',
  failure: 'fail',
  interrupted: 'canceled',
};

/** A new request id: the job id of the run, 32 lowercase hex characters as the original server makes them. */
export const newRequestId = (): string => randomUUID().replace(/-/g, '');

/** A request id from a caller: one that cannot exist is answered like an unknown one (404), without a NATS round trip. */
export function requestId(raw: unknown): string {
  if (typeof raw === 'string' && REQUEST_ID_PATTERN.test(raw)) return raw;
  throw requestNotFound(typeof raw === 'string' ? raw : '');
}

export const requestNotFound = (id: string): NotFoundException => new NotFoundException({ detail: `request ${id.slice(0, 64)} not found` });

/** The `params` keys the original server reads the input from, in the order it is looked for. */
export const INPUT_KEYS = ['input', 'query', 'question', 'query_content', 'request'] as const;
const MAX_INPUT = 200_000;

/**
 * The agent's input from a service call's `params` (the first present of INPUT_KEYS) and its options
 * (the whole `params`). A present key must hold a non-empty string; `collections`, when given, is
 * checked as on the job API's submit. Bad input is a 422 whose message names the field.
 */
export function serviceInput(params: Record<string, unknown>): { input: string; options: Record<string, unknown> } {
  const key = INPUT_KEYS.find((k) => params[k] !== undefined && params[k] !== null);
  if (!key) throw invalid(`params must contain the agent's input as one of ${INPUT_KEYS.join(', ')}`);
  const value = params[key];
  if (typeof value !== 'string' || value.length === 0) throw invalid(`params.${key} must be a non-empty string`);
  if (value.length > MAX_INPUT) throw invalid(`params.${key} must be at most ${MAX_INPUT} characters`);
  const collections = params.collections;
  if (
    collections !== undefined &&
    !(Array.isArray(collections) && collections.length <= 20 && collections.every((c) => typeof c === 'string' && c.length >= 1 && c.length <= 63))
  ) {
    throw invalid('params.collections must be a list of at most 20 collection names of 1-63 characters');
  }
  return { input: value, options: params };
}

export const invalid = (message: string): UnprocessableEntityException => new UnprocessableEntityException({ detail: message });

/** One step the agent took, as `service_run_result` lists it. */
export type ServiceStep =
  | ({ type: 'workflow'; name: unknown; done: boolean } & Record<string, unknown>)
  | { type: 'tool'; name: unknown; input: unknown; output?: unknown; error?: unknown; done: boolean }
  | { type: 'llm'; model?: unknown; step?: unknown; text: string; done: boolean }
  | { type: 'error'; message: string };

type LlmStep = Extract<ServiceStep, { type: 'llm' }>;
type ToolStep = Extract<ServiceStep, { type: 'tool' }>;

/**
 * Folds a run's event log into its steps: one entry per workflow stage (start + end), per tool call
 * (with its input and output), per model call (with its whole text, not one entry per token), and
 * per error — in the order they started. Status changes and artifacts are not steps.
 */
export function foldSteps(events: readonly JobEvent[]): ServiceStep[] {
  const steps: ServiceStep[] = [];
  const lastOpen = <T extends ServiceStep>(type: T['type'], match: (s: T) => boolean): T | undefined => {
    for (let i = steps.length - 1; i >= 0; i--) {
      const s = steps[i];
      if (s.type === type && (s as { done?: boolean }).done === false && match(s as T)) return s as T;
    }
    return undefined;
  };
  const sameStep = (d: Record<string, unknown>) => (s: LlmStep) => d.step === undefined || s.step === d.step;
  for (const e of events) {
    const d = e.data;
    switch (e.type) {
      case 'workflow.start': {
        const { name, ...rest } = d;
        steps.push({ ...rest, type: 'workflow', name, done: false });
        break;
      }
      case 'workflow.end': {
        const open = lastOpen<Extract<ServiceStep, { type: 'workflow' }>>('workflow', (s) => s.name === d.name);
        if (open) open.done = true;
        break;
      }
      case 'tool.start':
        steps.push({ type: 'tool', name: d.name, input: d.input, done: false });
        break;
      case 'tool.end': {
        const open = lastOpen<ToolStep>('tool', (s) => s.name === d.name);
        const step = open ?? (steps[steps.push({ type: 'tool', name: d.name, input: d.input, done: false }) - 1] as ToolStep);
        if (d.output !== undefined) step.output = d.output;
        if (d.error !== undefined) step.error = d.error;
        step.done = true;
        break;
      }
      case 'llm.start':
        steps.push(llmStep(d));
        break;
      case 'llm.chunk': {
        const open = lastOpen<LlmStep>('llm', sameStep(d)) ?? (steps[steps.push(llmStep(d)) - 1] as LlmStep);
        if (typeof d.content === 'string') open.text += d.content;
        break;
      }
      case 'llm.end': {
        const open = lastOpen<LlmStep>('llm', sameStep(d));
        if (open) open.done = true;
        break;
      }
      case 'job.error':
        steps.push({ type: 'error', message: String(d.message ?? d.error ?? 'error') });
        break;
      default:
        break;
    }
  }
  return steps;
}

function llmStep(d: Record<string, unknown>): LlmStep {
  return { type: 'llm', ...(d.model !== undefined && { model: d.model }), ...(d.step !== undefined && { step: d.step }), text: '', done: false };
}
