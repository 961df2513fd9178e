import { Module } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { JwtModule } from '@nestjs/jwt';
import { getRepositoryToken, TypeOrmModule } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { appConfig } from '../config/app.config';
import { KeysModule } from '../keys/keys.module';
import { SigningKeysService } from '../keys/signing-keys.service';
import { connectRedisStore } from '../common/redis-client';
import { PreparedStatements } from '../platform/prepared-statements';
import { AccessTokenDenylist } from './access-token-denylist';
import { AccessTokensService } from './access-tokens.service';
import { DatabaseAccessTokenDenylist } from './database-access-token-denylist';
import { jwtOptions } from './jwt-options';
import { RevokedAccessToken } from './entities/revoked-access-token.entity';
import { RedisAccessTokenDenylist } from './redis-access-token-denylist';

@Module({
  imports: [
    KeysModule,
    TypeOrmModule.forFeature([RevokedAccessToken]),
    JwtModule.registerAsync({
      imports: [KeysModule],
      inject: [SigningKeysService],
      useFactory: jwtOptions,
    }),
  ],
  providers: [
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
  exports: [KeysModule, AccessTokensService, AccessTokenDenylist],
})
export class TokensModule {}
