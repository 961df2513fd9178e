import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/** One login: a refresh-token family. Revoking it ends every refresh and access token of it. */
@Entity({ name: 'sessions' })
@Index(['userId', 'createdAt', 'id'])
export class Session {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id: string;

  @Column({ type: 'varchar', length: 36 })
  userId: string;

  /** The client that logged the user in, when one authenticated; it alone may refresh. */
  @Column({ type: 'varchar', length: 64, nullable: true })
  clientId: string | null;

  @Column({ type: 'varchar', length: 1024 })
  scope: string;

  // A login checked against the old password may still be inserting its session when a password
  // change or a disable raises the account's tokenVersion: the mismatch ends that session too.
  @Column({ type: 'integer', default: 0 })
  tokenVersion: number;

  /** RFC 8176 methods of the login, space-separated: every access token of the session says them. */
  @Column({ type: 'varchar', length: 64, default: 'pwd' })
  amr: string;

  @Column({ type: Date })
  createdAt: Date;

  @Column({ type: Date })
  lastUsedAt: Date;

  @Column({ type: Date })
  expiresAt: Date;

  @Column({ type: Date, nullable: true })
  revokedAt: Date | null;

  @Column({ type: 'varchar', length: 512, nullable: true })
  userAgent: string | null;

  @Column({ type: 'varchar', length: 64, nullable: true })
  ip: string | null;
}
