import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/** Plain values only: an audit record never holds a secret, a password or a token. */
export type AuditDetail = Record<string, string | number | boolean | null>;

// Newest first, whole or filtered by user or type: each list walks one index (keyset pages).
@Entity({ name: 'audit_events' })
@Index(['at', 'id'])
@Index(['userId', 'at', 'id'])
@Index(['type', 'at', 'id'])
export class AuditEvent {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id: string;

  @Column({ type: 'varchar', length: 64 })
  type: string;

  @Column({ type: 'varchar', length: 36, nullable: true })
  userId: string | null;

  @Column({ type: 'varchar', length: 64, nullable: true })
  clientId: string | null;

  @Column({ type: 'varchar', length: 64, nullable: true })
  ip: string | null;

  @Column({ type: 'varchar', length: 512, nullable: true })
  userAgent: string | null;

  @Column({ type: Date })
  at: Date;

  @Column({ type: 'simple-json' })
  detail: AuditDetail;
}
