import { Column, Entity, PrimaryColumn } from 'typeorm';

/** RFC 7009 revocation of one access token: refused until `expiresAt`, then forgotten. */
@Entity({ name: 'revoked_access_tokens' })
export class RevokedAccessToken {
  @PrimaryColumn({ type: 'varchar', length: 64 })
  jti: string;

  @Column({ type: Date })
  expiresAt: Date;
}
