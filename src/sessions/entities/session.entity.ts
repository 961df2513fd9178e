import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/** One login: a refresh-token family. Revoking it ends every refresh and access token of it. */
@Entity({ name: 'sessions' })
export class Session {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id: string;

  @Index()
  @Column({ type: 'varchar', length: 36 })
  userId: string;

  /** The client that logged the user in, when one authenticated; it alone may refresh. */
  @Column({ type: 'varchar', length: 64, nullable: true })
  clientId: string | null;

  @Column({ type: 'varchar', length: 1024 })
  scope: string;

  /**
   * The account's `tokenVersion` when the password of this login was checked. A password change
   * or a disable raises the account's and revokes its sessions, but a login checked against the
   * old password can still be inserting its session; the mismatch ends that one too.
   */
  @Column({ type: 'integer', default: 0 })
  tokenVersion: number;

  @Column({ type: Date })
  createdAt: Date;

  @Column({ type: Date })
  lastUsedAt: Date;

  /** Absolute end (REFRESH_TOKEN_TTL after login), whatever the refreshes. */
  @Column({ type: Date })
  expiresAt: Date;

  @Column({ type: Date, nullable: true })
  revokedAt: Date | null;

  @Column({ type: 'varchar', length: 512, nullable: true })
  userAgent: string | null;

  @Column({ type: 'varchar', length: 64, nullable: true })
  ip: string | null;
}
