import { plainToInstance, type ClassConstructor } from 'class-transformer';
import { validateSync } from 'class-validator';

/**
 * Reads `source` (process.env by default) into a typed, validated config object. A bad or missing
 * variable throws one error that names every offender, so a misconfigured pod dies at start-up with
 * a message an operator can act on instead of failing on the first request.
 */
export function loadConfig<T extends object>(
  schema: ClassConstructor<T>,
  source: Record<string, string | undefined> = process.env,
): T {
  const defined = Object.fromEntries(Object.entries(source).filter(([, v]) => v !== undefined && v !== ''));
  const config = plainToInstance(schema, defined, { enableImplicitConversion: true, exposeDefaultValues: true });
  const errors = validateSync(config, { whitelist: false, forbidUnknownValues: false });
  if (errors.length > 0) {
    const lines = errors.map((e) => `  ${e.property}=${JSON.stringify(e.value)}: ${Object.values(e.constraints ?? {}).join('; ')}`);
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
  }
  return config;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}
