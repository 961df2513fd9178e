import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * RFC 7009 revocation of one access token, kept until `expiresAt` (the token's exp plus the
 * verification leeway, when it can no longer verify), then forgotten.
 */
@Entity({ name: 'revoked_access_tokens' })
export class RevokedAccessToken {
  @PrimaryColumn({ type: 'varchar', length: 64 })
  jti: string;

  @Column({ type: Date })
  expiresAt: Date;
}
