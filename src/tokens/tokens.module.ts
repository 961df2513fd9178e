import { Module } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { getRepositoryToken, TypeOrmModule } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { connectRedisStore } from '../common/redis-client';
import { appConfig } from '../config/app.config';
import { PreparedStatements } from '../database/prepared-statements';
import { AccessTokenDenylist } from './access-token-denylist';
import { AccessTokensService } from './access-tokens.service';
import { DatabaseAccessTokenDenylist } from './database-access-token-denylist';
import { RevokedAccessToken } from './entities/revoked-access-token.entity';
import { SigningKey } from './entities/signing-key.entity';
import { JwksController } from './jwks.controller';
import { KeysController } from './keys.controller';
import { RedisAccessTokenDenylist } from './redis-access-token-denylist';
import { SigningKeysService } from './signing-keys.service';

@Module({
  imports: [TypeOrmModule.forFeature([SigningKey, RevokedAccessToken])],
  controllers: [JwksController, KeysController],
  providers: [
    SigningKeysService,
    AccessTokensService,
    {
      provide: AccessTokenDenylist,
      inject: [appConfig.KEY, PreparedStatements, getRepositoryToken(RevokedAccessToken)],
      useFactory: async (
        config: ConfigType<typeof appConfig>,
        statements: PreparedStatements,
        revoked: Repository<RevokedAccessToken>,
      ): Promise<AccessTokenDenylist> =>
        config.redisUrl
          ? new RedisAccessTokenDenylist(
              await connectRedisStore(config.redisUrl, config.redisKeyPrefix),
              statements,
            )
          : new DatabaseAccessTokenDenylist(revoked),
    },
  ],
  exports: [SigningKeysService, AccessTokensService, AccessTokenDenylist],
})
export class TokensModule {}
