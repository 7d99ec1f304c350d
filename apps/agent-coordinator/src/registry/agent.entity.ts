import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { AgentStatus } from '@platform/contracts';

@Entity({ name: 'agents' })
export class AgentEntity {
  @PrimaryColumn({ type: 'varchar', length: 128 }) agent_id: string;
  @Column({ type: 'varchar', length: 320 }) owner: string;
  /** Registered by a platform service (a job-runner worker): takes tasks of every owner. */
  @Column({ type: 'boolean', default: false }) shared: boolean;
  @Column({ type: 'varchar', length: 64 }) agent_type: string;
  @Column({ type: 'varchar', length: 16 }) status: AgentStatus;
  @Column({ type: 'text', array: true, default: '{}' }) capabilities: string[];
  @Column({ type: 'text', array: true, default: '{}' }) services: string[];
  @Column({ type: 'jsonb', default: {} }) endpoints: Record<string, string>;
  @Column({ type: 'jsonb', default: {} }) metadata: Record<string, unknown>;
  @Column({ type: 'jsonb', default: {} }) load_metrics: Record<string, number>;
  @Column({ type: 'varchar', length: 64, default: '' }) version: string;
  @Column({ type: 'text', array: true, default: '{}' }) tags: string[];
  /** Exponentially weighted share of recent assignments that failed (0–1). */
  @Column({ type: 'double precision', default: 0 }) failure_rate: number;
  @Column({ type: 'timestamptz' }) last_heartbeat: Date;
  @Column({ type: 'timestamptz' }) registration_time: Date;
  @Column({ type: 'timestamptz' }) updated_at: Date;
}
