import { describe, expect, it } from '@jest/globals';
import { ConfigError, loadConfig } from '@platform/runtime';
import { JobRunnerConfig } from '../config';
import { modelCatalogueFrom } from './models.module';

describe('job-runner model settings', () => {
  it('LLM_MODEL on LLM_BASE_URL is a one-model catalogue priced by LLM_PRICE_*; EMBEDDINGS_* adds an embedding model', () => {
    const env = {
      LLM_BASE_URL: 'http://llm.local/v1',
      LLM_MODEL: 'm',
      LLM_PRICE_INPUT_PER_M: '0.15',
      LLM_PRICE_OUTPUT_PER_M: '0.6',
      EMBEDDINGS_BASE_URL: 'http://emb.local/v1',
      EMBEDDINGS_MODEL: 'e',
    };
    const catalogue = modelCatalogueFrom(loadConfig(JobRunnerConfig, env), env)!;
    expect(catalogue.default).toMatchObject({
      name: 'm',
      baseUrl: 'http://llm.local/v1',
      tier: 1,
      priceInputPerM: 0.15,
      priceOutputPerM: 0.6,
      timeoutMs: 120_000,
    });
    expect(catalogue.defaultEmbedding).toMatchObject({ name: 'e', baseUrl: 'http://emb.local/v1' });
  });

  it('no model without LLM_BASE_URL or LLM_MODELS_FILE; a negative price is refused', () => {
    expect(modelCatalogueFrom(loadConfig(JobRunnerConfig, {}), {})).toBeNull();
    expect(() => loadConfig(JobRunnerConfig, { LLM_PRICE_OUTPUT_PER_M: '-1' })).toThrow(ConfigError);
  });
});
