import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { isTokenValidator, type TokenValidator } from './validator';

/**
 * What an `AUTH_VALIDATOR_MODULES` package exports (the counterpart of the AI-Q API's entry points): a
 * factory, as the default export or named `getValidators`, returning one validator or a list (or a
 * promise of either). It receives the process environment so it can read its own settings.
 */
export type ValidatorFactory = (env: Record<string, string | undefined>) => unknown;

/** Parses the comma-separated list. */
export function parseModuleList(raw: string | undefined): string[] {
  return (raw ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

/** Loads each module with a dynamic import and collects its validators. Any problem is a start-up error naming the module. */
export async function loadValidatorModules(
  specifiers: string[],
  env: Record<string, string | undefined> = process.env,
  importer: (specifier: string) => Promise<unknown> = (s) => import(s),
): Promise<TokenValidator[]> {
  const all: TokenValidator[] = [];
  for (const spec of specifiers) {
    const target = path.isAbsolute(spec) ? pathToFileURL(spec).href : spec;
    let mod: Record<string, unknown>;
    try {
      mod = (await importer(target)) as Record<string, unknown>;
    } catch (err) {
      throw new Error(`AUTH_VALIDATOR_MODULES: cannot load '${spec}': ${(err as Error).message}`);
    }
    const candidates = [mod.getValidators, mod.default, (mod.default as Record<string, unknown> | undefined)?.getValidators];
    const factory = candidates.find((c): c is ValidatorFactory => typeof c === 'function');
    if (!factory) throw new Error(`AUTH_VALIDATOR_MODULES: '${spec}' exports no validator factory (export default or getValidators)`);
    const produced = await factory(env);
    const list = Array.isArray(produced) ? produced : [produced];
    list.forEach((v, i) => {
      if (!isTokenValidator(v)) throw new Error(`AUTH_VALIDATOR_MODULES: '${spec}' returned a non-validator at index ${i} (needs validate(token))`);
    });
    all.push(...(list as TokenValidator[]));
  }
  return all;
}
