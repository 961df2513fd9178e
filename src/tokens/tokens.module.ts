import { Module } from '@nestjs/common';
import { JwtModule } from '@nestjs/jwt';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AccessTokensService } from './access-tokens.service';
import { SigningKey } from './entities/signing-key.entity';
import { JwksController } from './jwks.controller';
import { SigningKeysService } from './signing-keys.service';

@Module({
  imports: [TypeOrmModule.forFeature([SigningKey]), JwtModule.register({})],
  controllers: [JwksController],
  providers: [SigningKeysService, AccessTokensService],
  exports: [SigningKeysService, AccessTokensService],
})
export class TokensModule {}
