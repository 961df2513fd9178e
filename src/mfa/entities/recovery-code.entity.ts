import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/** One unused recovery code, as SHA-256 of the user id and the code (80 random bits). */
@Entity({ name: 'recovery_codes' })
export class RecoveryCode {
  @PrimaryColumn({ type: 'varchar', length: 64 })
  codeHash: string;

  @Index()
  @Column({ type: 'varchar', length: 36 })
  userId: string;

  @Column({ type: Date })
  createdAt: Date;
}
