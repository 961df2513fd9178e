import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/** A long-lived bearer token a user made for a script; only its hash is stored. */
@Entity({ name: 'personal_access_tokens' })
export class PersonalAccessToken {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id: string;

  @Index()
  @Column({ type: 'varchar', length: 36 })
  userId: string;

  @Column({ type: 'varchar', length: 100 })
  name: string;

  /** SHA-256 of the token: 256 random bits, so a slow hash would only cost throughput. */
  @Column({ type: 'varchar', length: 64, unique: true, select: false })
  tokenHash: string;

  @Column({ type: 'simple-json' })
  scopes: string[];

  @Column({ type: Date })
  createdAt: Date;

  @Column({ type: Date })
  expiresAt: Date;

  // Written at most once a minute per token, and raises no revocation epoch (the migration's
  // triggers leave this column out): PersonalAccessTokenUsage.
  @Column({ type: Date, nullable: true })
  lastUsedAt: Date | null;

  @Column({ type: Date, nullable: true })
  revokedAt: Date | null;
}
