import { Column, CreateDateColumn, Entity, PrimaryColumn, UpdateDateColumn } from 'typeorm';

@Entity({ name: 'users' })
export class User {
  /** A v4 UUID made by the service, stored as text so both databases compare it the same way. */
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id: string;

  /** As the user typed it; `normalizedUsername` carries the case-insensitive uniqueness. */
  @Column({ type: 'varchar', length: 64 })
  username: string;

  @Column({ type: 'varchar', length: 64, unique: true })
  normalizedUsername: string;

  @Column({ type: 'varchar', length: 254, nullable: true, unique: true })
  email: string | null;

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

  /**
   * Copied into every access token and compared on each request; raised whenever all the user's
   * existing tokens must stop working (a password change, disabling the account). A counter rather than a comparison
   * with `iat`, whose one-second resolution cannot order a change and a login in the same second.
   */
  @Column({ type: 'integer', default: 0 })
  tokenVersion: number;

  @CreateDateColumn()
  createdAt: Date;

  @UpdateDateColumn()
  updatedAt: Date;
}
