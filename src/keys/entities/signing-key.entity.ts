import { Column, CreateDateColumn, Entity, Index, PrimaryColumn } from 'typeorm';

export const SIGNING_KEY_GENERATION_INDEX = 'IDX_signing_keys_alg_generation';

// One algorithm's keys by generation. The newest is the NEXT key: published, not yet signing. A key
// signs from the moment a newer one is inserted above it, so a rotation is one INSERT, and the
// unique generation lets exactly one of several instances changing the same state succeed. A key
// with `activatesAt` (made before next keys existed) signs from then instead.
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

  /** When it entered the JWKS. */
  @CreateDateColumn()
  createdAt: Date;

  @Column({ type: Date, nullable: true })
  activatesAt: Date | null;
}
