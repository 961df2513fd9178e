import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { LessThan, Repository } from 'typeorm';
import { RevokedAccessToken } from './entities/revoked-access-token.entity';

/** Revoked access tokens by `jti`, each kept until the token would have expired anyway. */
@Injectable()
export class AccessTokenDenylist {
  constructor(
    @InjectRepository(RevokedAccessToken)
    private readonly revoked: Repository<RevokedAccessToken>,
  ) {}

  async revoke(jti: string, expiresAt: Date): Promise<void> {
    // Revoking twice is fine (RFC 7009 answers 200 either way); the first entry stands.
    await this.revoked
      .createQueryBuilder()
      .insert()
      .values({ jti, expiresAt })
      .orIgnore()
      .execute();
    await this.revoked.delete({ expiresAt: LessThan(new Date()) });
  }

  isRevoked(jti: string): Promise<boolean> {
    return this.revoked.existsBy({ jti });
  }
}
