// Types for the parts of stack.mjs that the TypeScript tests use.
export const ROOT: string;
export const LOGS_DIR: string;
export function stackEnv(base?: NodeJS.ProcessEnv, defaults?: Record<string, string>): Record<string, string>;
export function startApp(name: string, env?: NodeJS.ProcessEnv, opts?: { port?: number; logFile?: string; args?: string[] }): number;
export function stopApp(nameOrPid: string | number, opts?: { timeoutMs?: number }): Promise<boolean>;
export function waitHttp(url: string, timeoutMs?: number, opts?: { status?: number; intervalMs?: number; pid?: number }): Promise<void>;
export function tail(file: string, lines?: number): string;
export function isAlive(pid: number): boolean;
export function serverBinaries(): { postgres: string | null; nats: string | null; redis: string | null };
export function migrate(opts?: { env?: NodeJS.ProcessEnv; apps?: string[] }): Promise<void>;
export function appEntry(name: string): string;
export function portOpen(port: number, host?: string, timeoutMs?: number): Promise<boolean>;
export function setLogger(fn: (message: string) => void): void;
export const STACK_DIR: string;
