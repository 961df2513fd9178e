import { Column, Entity, PrimaryColumn } from 'typeorm';

/** A user's TOTP secret (RFC 6238): pending until a first code confirms it, then the factor. */
@Entity({ name: 'totp_factors' })
export class TotpFactor {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  userId: string;

  /** Base32, sealed with KEY_ENCRYPTION_KEY (bound to the userId) when one is set. */
  @Column({ type: 'text' })
  secretSealed: string;

  @Column({ type: Date, nullable: true })
  confirmedAt: Date | null;

  /** The time step of the last code accepted: no code of that step or earlier works again. */
  @Column({ type: 'integer', nullable: true })
  lastUsedStep: number | null;

  @Column({ type: Date })
  createdAt: Date;
}
