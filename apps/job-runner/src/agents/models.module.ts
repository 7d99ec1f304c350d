import { type DynamicModule, Global, Module } from '@nestjs/common';
import { loadModelCatalogue, ModelCallMetrics, OpenAiModels, type ModelCatalogue, type Models } from '@platform/agent-registry';
import { Metrics } from '@platform/runtime';
import type { JobRunnerConfig } from '../config';
import { MODELS } from './agent-services';

/** The catalogue the job-runner's settings describe (null: no model configured). Throws naming each problem of a bad file. */
export function modelCatalogueFrom(config: JobRunnerConfig, env: Record<string, string | undefined> = process.env): ModelCatalogue | null {
  return loadModelCatalogue(
    {
      modelsFile: config.LLM_MODELS_FILE,
      baseUrl: config.LLM_BASE_URL,
      apiKey: config.LLM_API_KEY,
      model: config.LLM_MODEL,
      timeoutMs: config.LLM_TIMEOUT_MS,
      priceInputPerM: config.LLM_PRICE_INPUT_PER_M,
      priceOutputPerM: config.LLM_PRICE_OUTPUT_PER_M,
      embeddings: { baseUrl: config.EMBEDDINGS_BASE_URL, apiKey: config.EMBEDDINGS_API_KEY, model: config.EMBEDDINGS_MODEL },
    },
    env,
  );
}

/**
 * Provides `MODELS` (`Models | null`) everywhere. `AppModule.forRoot` loads the catalogue before Nest
 * starts, so a bad `LLM_MODELS_FILE` stops the process with the file's problems instead of a DI error.
 */
@Global()
@Module({})
export class ModelsModule {
  static forRoot(catalogue: ModelCatalogue | null): DynamicModule {
    // Every call is measured in the service's registry (MetricsModule), when there is one.
    const provider = {
      provide: MODELS,
      inject: [{ token: Metrics, optional: true }],
      useFactory: (metrics?: Metrics): Models | null =>
        catalogue ? new OpenAiModels(catalogue, metrics ? new ModelCallMetrics(metrics.registry) : undefined) : null,
    };
    return { module: ModelsModule, providers: [provider], exports: [MODELS] };
  }
}
