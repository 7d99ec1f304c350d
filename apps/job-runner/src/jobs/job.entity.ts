import { Column, CreateDateColumn, Entity, PrimaryColumn, UpdateDateColumn } from 'typeorm';
import type { JobStatus, Principal } from '@platform/contracts';

export interface JobOptions {
  collections?: string[];
  principal?: Principal;
  /** Further options for the agent (a service's params, a chat's messages). */
  agent_options?: Record<string, unknown>;
}

@Entity({ name: 'jobs' })
export class JobEntity {
  @PrimaryColumn({ type: 'varchar', length: 64 }) id: string;
  @Column({ type: 'varchar', length: 320 }) owner: string;
  @Column({ type: 'varchar', length: 64 }) agent_type: string;
  @Column({ type: 'text' }) input: string;
  @Column({ type: 'jsonb', default: {} }) options: JobOptions;
  @Column({ type: 'varchar', length: 16 }) status: JobStatus;
  @Column({ type: 'text', nullable: true }) error: string | null;
  @Column({ type: 'text', nullable: true }) report: string | null;
  @Column({ type: 'integer', default: 0 }) attempt: number;
  /** bigint arrives as a string from pg; it never passes 2^53 for one job. */
  @Column({ type: 'bigint', default: 0, transformer: { to: (v: number) => v, from: (v: string) => Number(v) } }) last_seq: number;
  @Column({ type: 'integer' }) expiry_seconds: number;
  @Column({ type: 'varchar', length: 200, nullable: true }) idempotency_key: string | null;
  @Column({ type: 'char', length: 64, nullable: true }) request_hash: string | null;
  @CreateDateColumn({ type: 'timestamptz' }) created_at: Date;
  @UpdateDateColumn({ type: 'timestamptz' }) updated_at: Date;
  @Column({ type: 'timestamptz', nullable: true }) started_at: Date | null;
  @Column({ type: 'timestamptz', nullable: true }) finished_at: Date | null;
  @Column({ type: 'timestamptz', nullable: true }) expires_at: Date | null;
  /** A child job's parent (a compound task's subtask: the task's job). */
  @Column({ type: 'varchar', length: 64, nullable: true }) parent_job_id: string | null;
  /** A child job's place among its parent's children (the subtask's index). */
  @Column({ type: 'integer', nullable: true }) subtask_index: number | null;
}
