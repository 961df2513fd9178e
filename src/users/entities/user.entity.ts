import { Column, CreateDateColumn, Entity, Index, PrimaryColumn, UpdateDateColumn } from 'typeorm';

// Administrators list users oldest first, a page at a time (keyset: user-search.service.ts).
@Entity({ name: 'users' })
@Index(['createdAt', 'id'])
export class User {
  /** Stored as text, so both databases compare it the same way. */
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id: string;

  @Column({ type: 'varchar', length: 64 })
  username: string;

  @Column({ type: 'varchar', length: 64, unique: true })
  normalizedUsername: string;

  @Column({ type: 'varchar', length: 254, nullable: true, unique: true })
  email: string | null;

  /** Set when the owner proved the current email address theirs (a mailed link); false on change. */
  @Column({ type: 'boolean', default: false })
  emailVerified: boolean;

  @Column({ type: 'varchar', length: 200, nullable: true })
  fullName: string | null;

  @Column({ type: 'varchar', length: 255, select: false })
  passwordHash: string;

  @Column({ type: 'simple-json' })
  roles: string[];

  @Column({ type: 'boolean', default: false })
  disabled: boolean;

  @Column({ type: Date })
  passwordChangedAt: Date;

  // Raised whenever all the user's tokens must stop working. A counter, not a comparison with
  // `iat`, whose one-second resolution cannot order a change and a login in the same second.
  @Column({ type: 'integer', default: 0 })
  tokenVersion: number;

  /** Set with the TOTP factor's confirmation, in its transaction: the login reads no other row. */
  @Column({ type: 'boolean', default: false })
  mfaEnabled: boolean;

  @CreateDateColumn()
  createdAt: Date;

  @UpdateDateColumn()
  updatedAt: Date;
}
