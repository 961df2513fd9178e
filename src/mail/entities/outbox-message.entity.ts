import { Column, Entity, PrimaryColumn } from 'typeorm';
import { epochMs } from '../../database/epoch-ms';

export type OutboxStatus = 'pending' | 'sent' | 'failed';

/** One message to send. Its payload (recipient and body) is sealed, and cleared once it is done. */
@Entity({ name: 'mail_outbox' })
export class OutboxMessage {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id: string;

  /** The template's name: what kind of mail it is, never what it says. */
  @Column({ type: 'varchar', length: 64 })
  template: string;

  @Column({ type: 'text', nullable: true })
  payload: string | null;

  @Column({ type: 'varchar', length: 16 })
  status: OutboxStatus;

  @Column({ type: 'integer', default: 0 })
  attempts: number;

  @Column({ type: 'bigint', transformer: epochMs })
  nextAttemptAt: number;

  /** Until then the instance that claimed it is sending it; no other one may. */
  @Column({ type: 'bigint', transformer: epochMs, default: 0 })
  leaseUntil: number;

  @Column({ type: 'varchar', length: 36, nullable: true })
  claim: string | null;

  @Column({ type: 'varchar', length: 200, nullable: true })
  lastError: string | null;

  @Column({ type: 'bigint', transformer: epochMs })
  createdAt: number;

  @Column({ type: 'bigint', transformer: epochMs, nullable: true })
  finishedAt: number | null;
}
