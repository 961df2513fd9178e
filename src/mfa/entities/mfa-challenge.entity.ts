import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/** A password login waiting for its second factor: the mfa_token, stored as its SHA-256. */
@Entity({ name: 'mfa_challenges' })
export class MfaChallenge {
  @PrimaryColumn({ type: 'varchar', length: 64 })
  tokenHash: string;

  @Index()
  @Column({ type: 'varchar', length: 36 })
  userId: string;

  /** The client that got the mfa_token, when one authenticated; it alone may continue. */
  @Column({ type: 'varchar', length: 64, nullable: true })
  clientId: string | null;

  /** The scope granted at the password step. */
  @Column({ type: 'varchar', length: 1024 })
  scope: string;

  /** The account's tokenVersion when the password was checked: a change since voids the token. */
  @Column({ type: 'integer' })
  tokenVersion: number;

  /** Codes tried with it, right ones included; taken before each check, so none can race past. */
  @Column({ type: 'integer', default: 0 })
  attempts: number;

  @Column({ type: Date })
  createdAt: Date;

  @Column({ type: Date })
  expiresAt: Date;
}
