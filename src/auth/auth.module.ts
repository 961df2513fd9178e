import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { PassportModule } from '@nestjs/passport';
import { AuditModule } from '../audit/audit.module';
import { ClientsModule } from '../clients/clients.module';
import { PasswordsModule } from '../passwords/passwords.module';
import { SessionsModule } from '../sessions/sessions.module';
import { ThrottlingModule } from '../throttling/throttling.module';
import { TokensModule } from '../tokens/tokens.module';
import { UsersModule } from '../users/users.module';
import { AuthController } from './auth.controller';
import { AuthService } from './auth.service';
import { DiscoveryController } from './discovery.controller';
import { JwtAuthGuard } from './guards/jwt-auth.guard';
import { RolesGuard } from './guards/roles.guard';
import { TokenEndpointGuard } from './guards/token-endpoint.guard';
import { OAuthController } from './oauth.controller';
import { PrincipalStateService } from './principal-state.service';
import { JwtStrategy } from './strategies/jwt.strategy';
import { LocalStrategy } from './strategies/local.strategy';
import { TokenGrantsService } from './token-grants.service';
import { TokenInspectionService } from './token-inspection.service';

@Module({
  imports: [
    PassportModule,
    UsersModule,
    PasswordsModule,
    TokensModule,
    SessionsModule,
    ClientsModule,
    AuditModule,
    ThrottlingModule,
  ],
  controllers: [AuthController, OAuthController, DiscoveryController],
  providers: [
    AuthService,
    PrincipalStateService,
    TokenGrantsService,
    TokenInspectionService,
    TokenEndpointGuard,
    LocalStrategy,
    JwtStrategy,
    // Closed by default: authentication first, then roles, on every route of every module.
    { provide: APP_GUARD, useClass: JwtAuthGuard },
    { provide: APP_GUARD, useClass: RolesGuard },
  ],
})
export class AuthModule {}
