import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/** A refresh token, stored only as its SHA-256: the token itself is 256 random bits. */
@Entity({ name: 'refresh_tokens' })
export class RefreshToken {
  @PrimaryColumn({ type: 'varchar', length: 64 })
  tokenHash: string;

  @Index()
  @Column({ type: 'varchar', length: 36 })
  sessionId: string;

  @Column({ type: Date })
  createdAt: Date;

  @Column({ type: Date })
  expiresAt: Date;

  /** Set by the one redemption that wins; a second presentation is reuse. */
  @Column({ type: Date, nullable: true })
  usedAt: Date | null;

  /** REFRESH_REUSE_GRACE's successor pair, encrypted under a key derived from this token. */
  @Column({ type: 'text', nullable: true })
  successorSealed: string | null;
}
