/**
 * Whether this process exports traces. Set once by `startTracing` (before Nest loads); the hot paths
 * (Bus, event log, SSE) check it and skip span and header work entirely when tracing is off.
 */
let enabled = false;

export function tracingEnabled(): boolean {
  return enabled;
}

/** For `startTracing`, and for tests that install a tracer provider of their own. */
export function setTracingEnabled(on: boolean): void {
  enabled = on;
}

let shutdownHook: (() => Promise<void>) | undefined;

/** Registered by `startTracing`; kept here so the runtime index need not load the SDK. */
export function setTracingShutdown(hook: () => Promise<void>): void {
  shutdownHook = hook;
}

/** Exports the spans still buffered (bootstrap calls it on SIGTERM after the app closed); nothing when tracing is off. */
export function flushTracing(): Promise<void> {
  return shutdownHook ? shutdownHook() : Promise.resolve();
}
