import { Column, CreateDateColumn, Entity, Index, PrimaryColumn } from 'typeorm';

export const SIGNING_KEY_GENERATION_INDEX = 'IDX_signing_keys_alg_generation';

/**
 * An asymmetric key pair shared by every instance through the database. Of the keys of one
 * algorithm, the one with the highest `generation` whose `activatesAt` has passed signs; the
 * unique generation is what makes instances that create or rotate keys at the same moment agree.
 */
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

  /** Published from creation, signing from here on (KEY_PUBLISH_DELAY after the rotation). */
  @Column({ type: Date })
  activatesAt: Date;

  /** When a newer key took over signing; published until its last token has expired. */
  @Column({ type: Date, nullable: true })
  retiredAt: Date | null;
}
