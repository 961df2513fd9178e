import { Column, Entity, PrimaryColumn } from 'typeorm';

@Entity({ name: 'clients' })
export class Client {
  @PrimaryColumn({ type: 'varchar', length: 64 })
  clientId: string;

  @Column({ type: 'varchar', length: 200 })
  name: string;

  /** SHA-256 of the secret: it is 256 random bits, so a slow hash would only cost throughput. */
  @Column({ type: 'varchar', length: 64, select: false })
  secretHash: string;

  /** The secret a rotation replaced, accepted until previousSecretExpiresAt (CLIENT_SECRET_OVERLAP). */
  @Column({ type: 'varchar', length: 64, nullable: true, select: false })
  previousSecretHash: string | null;

  @Column({ type: Date, nullable: true })
  previousSecretExpiresAt: Date | null;

  @Column({ type: 'simple-json' })
  scopes: string[];

  @Column({ type: 'simple-json' })
  grants: string[];

  /** No secret (RFC 6749 section 2.1): it names itself by client_id alone, for users' grants only. */
  @Column({ type: 'boolean', default: false })
  public: boolean;

  @Column({ type: Date })
  createdAt: Date;
}
