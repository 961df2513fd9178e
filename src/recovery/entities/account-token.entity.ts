import { Column, Entity, PrimaryColumn } from 'typeorm';
import { epochMs } from '../../database/epoch-ms';

export type AccountTokenPurpose = 'password_reset' | 'email_verification';

/** A single-use token mailed to a user; only its SHA-256 is stored. */
@Entity({ name: 'account_tokens' })
export class AccountToken {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id: string;

  @Column({ type: 'varchar', length: 36 })
  userId: string;

  @Column({ type: 'varchar', length: 32 })
  purpose: AccountTokenPurpose;

  @Column({ type: 'varchar', length: 64, unique: true })
  tokenHash: string;

  /** The address the token was mailed to: it proves that address, and no later one. */
  @Column({ type: 'varchar', length: 254, nullable: true })
  email: string | null;

  @Column({ type: 'bigint', transformer: epochMs })
  expiresAt: number;

  @Column({ type: 'bigint', transformer: epochMs })
  createdAt: number;
}
