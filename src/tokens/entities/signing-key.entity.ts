import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';

/** An asymmetric key pair shared by every instance through the database. */
@Entity({ name: 'signing_keys' })
export class SigningKey {
  @PrimaryColumn({ type: 'varchar', length: 64 })
  kid: string;

  @Column({ type: 'varchar', length: 16 })
  alg: string;

  @Column({ type: 'text' })
  publicKeyPem: string;

  @Column({ type: 'text', select: false })
  privateKeyPem: string;

  @CreateDateColumn()
  createdAt: Date;
}
