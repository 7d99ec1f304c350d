import { type DynamicModule, Global, Module } from '@nestjs/common';
import type { ClassConstructor } from 'class-transformer';

/**
 * Makes an app's loaded config injectable everywhere by its class: `constructor(private readonly
 * config: GatewayConfig)`. The app loads and validates it once with `loadConfig` in main.ts and passes
 * the instance here, so tests can hand in their own. (Chosen over `@nestjs/config`: its `ConfigService`
 * reads by string key, we inject the typed, validated class.)
 */
@Global()
@Module({})
export class AppConfigModule {
  static forRoot<T extends object>(schema: ClassConstructor<T>, config: T): DynamicModule {
    return { module: AppConfigModule, providers: [{ provide: schema, useValue: config }], exports: [schema] };
  }
}
