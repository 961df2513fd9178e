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

  /** Access tokens whose `iat` is before this instant are refused (see tokens/token-watermark.ts). */
  @Column({ type: Date })
  passwordChangedAt: Date;

  @CreateDateColumn()
  createdAt: Date;

  @UpdateDateColumn()
  updatedAt: Date;
}
