import { ArrayMaxSize, IsArray, IsString, Length, ValidationArguments, ValidatorConstraint, type ValidatorConstraintInterface } from 'class-validator';

/* class-validator constraints shared by the contracts of several domains. */

/** `endpoints`: string → URL/subject, at most 20 entries of at most 2048 characters. */
@ValidatorConstraint({ name: 'isStringMap', async: false })
export class IsStringMap implements ValidatorConstraintInterface {
  validate(value: unknown): boolean {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
    const entries = Object.entries(value);
    return entries.length <= 20 && entries.every(([k, v]) => k.length > 0 && k.length <= 64 && typeof v === 'string' && v.length <= 2048);
  }
  defaultMessage(args: ValidationArguments): string {
    return `${args.property} must be an object of strings (at most 20 entries)`;
  }
}

/** `endpoints.http` must be an http(s) URL. */
@ValidatorConstraint({ name: 'httpEndpoint', async: false })
export class HttpEndpoint implements ValidatorConstraintInterface {
  validate(value: unknown): boolean {
    const http = (value as Record<string, unknown> | undefined)?.http;
    return http === undefined || (typeof http === 'string' && /^https?:\/\/\S+$/.test(http));
  }
  defaultMessage(): string {
    return 'endpoints.http must be an http(s) URL';
  }
}

/** `load_metrics`: string → finite number. */
@ValidatorConstraint({ name: 'isNumberMap', async: false })
export class IsNumberMap implements ValidatorConstraintInterface {
  validate(value: unknown): boolean {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
    const entries = Object.entries(value);
    return entries.length <= 50 && entries.every(([k, v]) => k.length <= 64 && typeof v === 'number' && Number.isFinite(v));
  }
  defaultMessage(args: ValidationArguments): string {
    return `${args.property} must be an object of numbers`;
  }
}

/** Serialized JSON no larger than `max` bytes (metadata, task_data, results). */
@ValidatorConstraint({ name: 'jsonSize', async: false })
export class JsonSize implements ValidatorConstraintInterface {
  validate(value: unknown, args: ValidationArguments): boolean {
    if (value === undefined) return true;
    try {
      return Buffer.byteLength(JSON.stringify(value) ?? '') <= (args.constraints[0] as number);
    } catch {
      return false;
    }
  }
  defaultMessage(args: ValidationArguments): string {
    return `${args.property} must serialize to at most ${args.constraints[0] as number} bytes of JSON`;
  }
}

export const StringList = (maxItems = 100) => [IsArray(), ArrayMaxSize(maxItems), IsString({ each: true }), Length(1, 128, { each: true })];
export function applyAll(decorators: PropertyDecorator[]): PropertyDecorator {
  return (target, key) => decorators.forEach((d) => d(target, key));
}
