import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { Principal, TaskPriority, TaskState } from '@platform/contracts';

const bigintAsNumber = {
  to: (v: number) => v,
  from: (v: string | null) => (v === null ? null : Number(v)),
};

@Entity({ name: 'tasks' })
export class TaskEntity {
  @PrimaryColumn({ type: 'uuid' }) task_id: string;
  @Column({
    type: 'bigint',
    transformer: bigintAsNumber,
    insert: false,
    update: false,
  })
  seq: number;
  @Column({ type: 'varchar', length: 320 }) owner: string;
  @Column({ type: 'jsonb', nullable: true }) principal: Principal | null;
  @Column({ type: 'varchar', length: 16 }) priority: TaskPriority;
  @Column({ type: 'smallint' }) priority_rank: number;
  @Column({ type: 'varchar', length: 16 }) status: TaskState;
  @Column({ type: 'jsonb' }) task_data: Record<string, unknown>;
  @Column({ type: 'jsonb', default: {} }) requirements: {
    capabilities?: string[];
    agent_type?: string;
  };
  @Column({ type: 'varchar', length: 128, nullable: true }) agent_id: string | null;
  @Column({ type: 'varchar', length: 64, nullable: true }) token: string | null;
  @Column({ type: 'integer', default: 0 }) attempts: number;
  @Column({ type: 'integer' }) max_attempts: number;
  @Column({ type: 'text', array: true, default: '{}' }) tried_agents: string[];
  @Column({ type: 'jsonb', nullable: true }) result: unknown;
  @Column({ type: 'text', nullable: true }) error: string | null;
  @Column({ type: 'timestamptz' }) submitted_at: Date;
  @Column({ type: 'timestamptz' }) queued_at: Date;
  @Column({ type: 'timestamptz', nullable: true }) assigned_at: Date | null;
  @Column({ type: 'timestamptz', nullable: true }) completed_at: Date | null;
}

/** One delivery of a task to an agent; the stats are computed from these rows. */
@Entity({ name: 'assignments' })
export class AssignmentEntity {
  @PrimaryColumn({ type: 'bigint', transformer: bigintAsNumber }) id: number;
  @Column({ type: 'uuid' }) task_id: string;
  @Column({ type: 'varchar', length: 320 }) owner: string;
  @Column({ type: 'varchar', length: 128 }) agent_id: string;
  @Column({ type: 'integer' }) attempt: number;
  @Column({ type: 'varchar', length: 64 }) token: string;
  @Column({ type: 'double precision' }) distribution_ms: number;
  @Column({ type: 'varchar', length: 16 }) outcome: 'pending' | 'success' | 'failed';
  @Column({ type: 'timestamptz' }) assigned_at: Date;
  @Column({ type: 'timestamptz', nullable: true }) finished_at: Date | null;
}
