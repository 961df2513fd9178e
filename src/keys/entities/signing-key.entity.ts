import { Column, CreateDateColumn, Entity, Index, PrimaryColumn } from 'typeorm';

export const SIGNING_KEY_GENERATION_INDEX = 'IDX_signing_keys_alg_generation';

// Of one algorithm's keys, the highest `generation` whose `activatesAt` has passed signs; the
// unique generation makes instances that create or rotate keys at the same moment agree.
@Entity({ name: 'signing_keys' })
@Index(SIGNING_KEY_GENERATION_INDEX, ['alg', 'generation'], { unique: true })
export class SigningKey {
  @PrimaryColumn({ type: 'varchar', length: 64 })
  kid: string;

  @Column({ type: 'varchar', length: 16 })
  alg: string;

  @Column({ type: 'integer' })
  generation: number;

  @Column({ type: 'text' })
  publicKeyPem: string;

  @Column({ type: 'text', select: false })
  privateKeyPem: string;

  @CreateDateColumn()
  createdAt: Date;

  @Column({ type: Date })
  activatesAt: Date;

  @Column({ type: Date, nullable: true })
  retiredAt: Date | null;
}
