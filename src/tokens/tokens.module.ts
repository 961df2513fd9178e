import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AccessTokenDenylist } from './access-token-denylist';
import { AccessTokensService } from './access-tokens.service';
import { DatabaseAccessTokenDenylist } from './database-access-token-denylist';
import { RevokedAccessToken } from './entities/revoked-access-token.entity';
import { SigningKey } from './entities/signing-key.entity';
import { JwksController } from './jwks.controller';
import { KeysController } from './keys.controller';
import { SigningKeysService } from './signing-keys.service';

@Module({
  imports: [TypeOrmModule.forFeature([SigningKey, RevokedAccessToken])],
  controllers: [JwksController, KeysController],
  providers: [
    SigningKeysService,
    AccessTokensService,
    { provide: AccessTokenDenylist, useClass: DatabaseAccessTokenDenylist },
  ],
  exports: [SigningKeysService, AccessTokensService, AccessTokenDenylist],
})
export class TokensModule {}
