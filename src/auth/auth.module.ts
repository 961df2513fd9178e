import { Module } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { APP_GUARD } from '@nestjs/core';
import { PassportModule } from '@nestjs/passport';
import { ClientsModule } from '../clients/clients.module';
import { authConfig } from '../config/auth.config';
import { SigningKeysService } from '../keys/signing-keys.service';
import { PersonalAccessTokensModule } from '../personal-access-tokens/personal-access-tokens.module';
import { SessionsModule } from '../sessions/sessions.module';
import { AccessTokensService } from '../tokens/access-tokens.service';
import { TokensModule } from '../tokens/tokens.module';
import { UsersModule } from '../users/users.module';
import { JwtAuthGuard } from './guards/jwt-auth.guard';
import { RolesGuard } from './guards/roles.guard';
import { TokenScopeGuard } from './guards/token-scope.guard';
import { PrincipalStateService } from './principal-state.service';
import { PrincipalsService } from './principals.service';
import { EdDsaJwtStrategy } from './strategies/eddsa-jwt.strategy';
import { JwtStrategy } from './strategies/jwt.strategy';
import { PersonalAccessTokenStrategy } from './strategies/personal-access-token.strategy';

@Module({
  imports: [
    PassportModule,
    TokensModule,
    UsersModule,
    SessionsModule,
    ClientsModule,
    PersonalAccessTokensModule,
  ],
  providers: [
    PrincipalStateService,
    PrincipalsService,
    PersonalAccessTokenStrategy,
    {
      // Registering with Passport is what constructing a strategy does.
      provide: JwtStrategy,
      inject: [authConfig.KEY, SigningKeysService, AccessTokensService, PrincipalsService],
      useFactory: (
        config: ConfigType<typeof authConfig>,
        keys: SigningKeysService,
        accessTokens: AccessTokensService,
        principals: PrincipalsService,
      ) =>
        config.jwtAlg === 'EdDSA'
          ? new EdDsaJwtStrategy(accessTokens, principals)
          : new JwtStrategy(keys, accessTokens, principals),
    },
    // Closed by default: authentication first, then roles, then a personal access token's
    // scopes, on every route of every module.
    { provide: APP_GUARD, useClass: JwtAuthGuard },
    { provide: APP_GUARD, useClass: RolesGuard },
    { provide: APP_GUARD, useClass: TokenScopeGuard },
  ],
  exports: [PrincipalsService],
})
export class AuthModule {}
