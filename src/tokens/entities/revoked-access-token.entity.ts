import { Column, Entity, PrimaryColumn } from 'typeorm';

/** Kept until the token can no longer verify (its exp plus the leeway), then forgotten. */
@Entity({ name: 'revoked_access_tokens' })
export class RevokedAccessToken {
  @PrimaryColumn({ type: 'varchar', length: 64 })
  jti: string;

  @Column({ type: Date })
  expiresAt: Date;
}
