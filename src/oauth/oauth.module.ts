import { Module } from '@nestjs/common';
import { PassportModule } from '@nestjs/passport';
import { AuthModule } from '../auth/auth.module';
import { ClientsModule } from '../clients/clients.module';
import { PersonalAccessTokensModule } from '../personal-access-tokens/personal-access-tokens.module';
import { MfaModule } from '../mfa/mfa.module';
import { SessionsModule } from '../sessions/sessions.module';
import { ThrottlingModule } from '../throttling/throttling.module';
import { TokensModule } from '../tokens/tokens.module';
import { UsersModule } from '../users/users.module';
import { ClientAuthentication } from './client-authentication';
import { DiscoveryController } from './discovery.controller';
import { ClientCredentialsGrant } from './grants/client-credentials.grant';
import { MfaGrant } from './grants/mfa.grant';
import { PasswordGrant } from './grants/password.grant';
import { RefreshTokenGrant } from './grants/refresh-token.grant';
import { LocalStrategy } from './local.strategy';
import { TokenInspectionController } from './token-inspection.controller';
import { TokenIntrospectionService } from './token-introspection.service';
import { TokenRevocationService } from './token-revocation.service';
import { TokenController } from './token.controller';

@Module({
  imports: [
    PassportModule,
    AuthModule,
    TokensModule,
    UsersModule,
    SessionsModule,
    ClientsModule,
    ThrottlingModule,
    PersonalAccessTokensModule,
    MfaModule,
  ],
  controllers: [TokenController, TokenInspectionController, DiscoveryController],
  providers: [
    ClientAuthentication,
    PasswordGrant,
    RefreshTokenGrant,
    ClientCredentialsGrant,
    MfaGrant,
    LocalStrategy,
    TokenRevocationService,
    TokenIntrospectionService,
  ],
})
export class OAuthModule {}
