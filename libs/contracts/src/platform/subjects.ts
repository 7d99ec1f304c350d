/** Readiness pings: every service answers its own, the gateway's `/health` asks them all. */
export const PlatformSubjects = {
  ping: {
    'job-runner': 'platform.ping.job-runner',
    'agent-coordinator': 'platform.ping.agent-coordinator',
    'knowledge-ingestor': 'platform.ping.knowledge-ingestor',
  },
} as const;

export type ServiceName = keyof typeof PlatformSubjects.ping;
export const SERVICE_NAMES = Object.keys(PlatformSubjects.ping) as ServiceName[];

export interface PingReply {
  service: ServiceName;
  version: string;
  ready: boolean;
  dependencies: Record<string, 'up' | 'down'>;
}

export interface PlatformRpc {
  'platform.ping.job-runner': { request: Record<string, never>; reply: PingReply };
  'platform.ping.agent-coordinator': { request: Record<string, never>; reply: PingReply };
  'platform.ping.knowledge-ingestor': { request: Record<string, never>; reply: PingReply };
}
