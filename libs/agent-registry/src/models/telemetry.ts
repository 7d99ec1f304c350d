import { SpanKind, SpanStatusCode, trace, type Span } from '@opentelemetry/api';
import { Counter, Histogram, type Registry } from 'prom-client';
import type { ModelSpec } from './catalogue';
import type { Usage } from './models';

type Kind = 'chat' | 'embed';

function metric<T>(registry: Registry, name: string, make: () => T): T {
  return (registry.getSingleMetric(name) as T | undefined) ?? make();
}

/**
 * Metrics of every model call made through `OpenAiModels`, by catalogue model name (bounded: the
 * catalogue's entries) and kind (chat, embed): latency, tokens in and out, cost, errors by reason.
 */
export class ModelCallMetrics {
  private readonly seconds: Histogram<'model' | 'kind' | 'outcome'>;
  private readonly tokens: Counter<'model' | 'direction'>;
  private readonly cost: Counter<'model'>;
  private readonly errors: Counter<'model' | 'kind' | 'reason'>;

  constructor(registry: Registry) {
    const registers = [registry];
    this.seconds = metric(
      registry,
      'model_call_duration_seconds',
      () =>
        new Histogram({
          name: 'model_call_duration_seconds',
          help: 'Model calls from request to the last token, by catalogue model, kind (chat, embed) and outcome (ok, error, aborted)',
          labelNames: ['model', 'kind', 'outcome'],
          buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60, 120, 300],
          registers,
        }),
    );
    this.tokens = metric(
      registry,
      'model_tokens_total',
      () =>
        new Counter({
          name: 'model_tokens_total',
          help: 'Tokens of model calls, by model and direction (input, output)',
          labelNames: ['model', 'direction'],
          registers,
        }),
    );
    this.cost = metric(
      registry,
      'model_cost_total',
      () =>
        new Counter({
          name: 'model_cost_total',
          help: "Cost of model calls (usage × the catalogue's prices, its currency), by model",
          labelNames: ['model'],
          registers,
        }),
    );
    this.errors = metric(
      registry,
      'model_call_errors_total',
      () =>
        new Counter({
          name: 'model_call_errors_total',
          help: 'Failed model calls, by model, kind and reason (timeout, http_<status>, error); aborts by the caller are not errors',
          labelNames: ['model', 'kind', 'reason'],
          registers,
        }),
    );
  }

  succeeded(model: string, kind: Kind, seconds: number, usage: Usage, cost: number): void {
    this.seconds.observe({ model, kind, outcome: 'ok' }, seconds);
    if (usage.prompt_tokens) this.tokens.inc({ model, direction: 'input' }, usage.prompt_tokens);
    if (usage.completion_tokens) this.tokens.inc({ model, direction: 'output' }, usage.completion_tokens);
    if (cost) this.cost.inc({ model }, cost);
  }

  failed(model: string, kind: Kind, seconds: number, reason: string | null): void {
    this.seconds.observe({ model, kind, outcome: reason ? 'error' : 'aborted' }, seconds);
    if (reason) this.errors.inc({ model, kind, reason });
  }
}

/** One model call's span (`chat <model>`, `embeddings <model>`), under the active span (the agent run). A no-op without tracing. */
export function startModelSpan(spec: ModelSpec, kind: Kind): Span {
  return trace.getTracer('platform').startSpan(`${kind === 'chat' ? 'chat' : 'embeddings'} ${spec.name}`, {
    kind: SpanKind.CLIENT,
    attributes: {
      'gen_ai.operation.name': kind === 'chat' ? 'chat' : 'embeddings',
      'gen_ai.request.model': spec.model,
      'gen_ai.system': 'openai',
      'model.name': spec.name,
    },
  });
}

export function endModelSpan(span: Span, outcome: { usage: Usage; cost: number } | { error: unknown; reason: string | null }): void {
  if (!span.isRecording()) return span.end();
  if ('usage' in outcome) {
    span.setAttributes({
      'gen_ai.usage.input_tokens': outcome.usage.prompt_tokens,
      'gen_ai.usage.output_tokens': outcome.usage.completion_tokens,
      'model.cost': outcome.cost,
    });
  } else if (outcome.reason) {
    const err = outcome.error;
    span.recordException(err instanceof Error ? err : String(err));
    span.setStatus({ code: SpanStatusCode.ERROR, message: (err as Error)?.message ?? String(err) });
  }
  span.end();
}
