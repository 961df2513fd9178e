import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { EntityManager, Repository } from 'typeorm';
import { deleteInBatches } from '../database/batched-delete';
import { AccessTokenDenylist, denylistEntryEnd } from './access-token-denylist';
import { RevokedAccessToken } from './entities/revoked-access-token.entity';

@Injectable()
export class DatabaseAccessTokenDenylist extends AccessTokenDenylist {
  constructor(
    @InjectRepository(RevokedAccessToken)
    private readonly revoked: Repository<RevokedAccessToken>,
  ) {
    super();
  }

  async revoke(jti: string, expiresAt: Date, transaction?: EntityManager): Promise<void> {
    // Revoking twice is fine (RFC 7009 answers 200 either way); the first entry stands.
    await (transaction ?? this.revoked.manager)
      .createQueryBuilder()
      .insert()
      .into(RevokedAccessToken)
      .values({ jti, expiresAt: denylistEntryEnd(expiresAt) })
      .orIgnore()
      .execute();
  }

  purgeExpired(now: number): Promise<number> {
    return deleteInBatches(
      this.revoked.manager.connection,
      RevokedAccessToken,
      '"expiresAt" < :now',
      {
        now: new Date(now),
      },
    );
  }

  isRevoked(jti: string): Promise<boolean> {
    return this.revoked.existsBy({ jti });
  }
}
