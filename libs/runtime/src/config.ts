import { plainToInstance, type ClassConstructor } from 'class-transformer';
import { validateSync } from 'class-validator';

/**
 * Reads `source` (process.env by default) into a typed, validated config object. A bad or missing
 * variable throws one error that names every offender, so a misconfigured pod dies at start-up with
 * a message an operator can act on instead of failing on the first request.
 */
export function loadConfig<T extends object>(schema: ClassConstructor<T>, source: Record<string, string | undefined> = process.env): T {
  // Env values are strings; a variable whose default is a number or boolean is converted by that
  // default's type (decorator metadata cannot tell: inferred property types emit as Object).
  const defaults = new schema() as Record<string, unknown>;
  const defined: Record<string, unknown> = {};
  for (const [key, raw] of Object.entries(source)) {
    if (raw === undefined || raw === '') continue;
    defined[key] = coerce(raw, typeof defaults[key]);
  }
  const config = plainToInstance(schema, defined, { exposeDefaultValues: true });
  const errors = validateSync(config, { whitelist: false, forbidUnknownValues: false });
  if (errors.length > 0) {
    const lines = errors.map((e) => `  ${e.property}=${JSON.stringify(e.value)}: ${Object.values(e.constraints ?? {}).join('; ')}`);
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
  }
  return config;
}

function coerce(raw: string, kind: string): unknown {
  if (kind === 'number') return /^-?\d+(\.\d+)?$/.test(raw.trim()) ? Number(raw) : raw;
  if (kind === 'boolean') {
    const v = raw.trim().toLowerCase();
    if (['1', 'true', 'yes', 'on'].includes(v)) return true;
    if (['0', 'false', 'no', 'off'].includes(v)) return false;
  }
  return raw;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}
