import { Inject, Injectable } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { PrincipalsService } from '../auth/principals.service';
import { isDatabaseUnavailable } from '../common/database-unavailable';
import { appConfig } from '../config/app.config';
import { PERSONAL_ACCESS_TOKEN_SHAPE } from '../personal-access-tokens/personal-access-token';
import { amrOf, isAccountCurrent, isSessionLive } from '../sessions/session-liveness';
import { RefreshRotationService } from '../sessions/refresh-rotation.service';
import { AccessTokensService } from '../tokens/access-tokens.service';
import { UsersService } from '../users/users.service';
import { IntrospectionResponseDto } from './dto/introspection-response.dto';

const INACTIVE: IntrospectionResponseDto = { active: false };

/** RFC 7662, for either kind of token; the hint only decides which kind is tried first. */
@Injectable()
export class TokenIntrospectionService {
  constructor(
    private readonly accessTokens: AccessTokensService,
    private readonly principals: PrincipalsService,
    private readonly rotation: RefreshRotationService,
    private readonly users: UsersService,
    @Inject(appConfig.KEY) private readonly app: ConfigType<typeof appConfig>,
  ) {}

  async introspect(token: string, hint: string | undefined): Promise<IntrospectionResponseDto> {
    if (PERSONAL_ACCESS_TOKEN_SHAPE.test(token)) {
      return this.introspectPersonal(token);
    }
    const attempts =
      hint === 'refresh_token'
        ? [() => this.introspectRefresh(token), () => this.introspectAccess(token)]
        : [() => this.introspectAccess(token), () => this.introspectRefresh(token)];
    for (const attempt of attempts) {
      const answer = await attempt();
      if (answer) {
        return answer;
      }
    }
    return INACTIVE;
  }

  private async introspectAccess(token: string): Promise<IntrospectionResponseDto | undefined> {
    const claims = await this.accessTokens.claimsOf(token);
    if (!claims) {
      return undefined;
    }
    try {
      const principal = await this.principals.principalFor(claims);
      return {
        active: true,
        token_type: 'bearer',
        sub: claims.sub,
        scope: claims.scope,
        client_id: claims.client_id,
        username: principal.kind === 'user' ? principal.user.username : undefined,
        amr: claims.amr,
        exp: claims.exp,
        iat: claims.iat,
        iss: claims.iss,
        aud: claims.aud,
        jti: claims.jti,
      };
    } catch {
      // Revoked, disabled, deleted or stale: a real token of ours, but not active.
      return INACTIVE;
    }
  }

  // No jti and no aud: a personal access token has neither, and is for this service's own API.
  private async introspectPersonal(token: string): Promise<IntrospectionResponseDto> {
    try {
      const { user, token: row } = await this.principals.personalPrincipalFor(token);
      return {
        active: true,
        token_type: 'personal_access_token',
        sub: user.id,
        username: user.username,
        scope: row.scopes.join(' '),
        exp: Math.floor(new Date(row.expiresAt).getTime() / 1000),
        iat: Math.floor(new Date(row.createdAt).getTime() / 1000),
        iss: this.app.issuer,
      };
    } catch (error) {
      if (isDatabaseUnavailable(error)) {
        throw error;
      }
      return INACTIVE;
    }
  }

  private async introspectRefresh(token: string): Promise<IntrospectionResponseDto | undefined> {
    const found = await this.rotation.findByRefreshToken(token);
    if (!found) {
      return undefined;
    }
    const { token: refresh, session } = found;
    const now = new Date();
    const user = await this.users.findById(session.userId);
    const active =
      refresh.usedAt === null &&
      refresh.expiresAt > now &&
      isSessionLive(session, now.getTime()) &&
      isAccountCurrent(session, user);
    if (!active || !user) {
      return INACTIVE;
    }
    return {
      active: true,
      token_type: 'refresh_token',
      sub: user.id,
      username: user.username,
      amr: amrOf(session),
      scope: session.scope,
      client_id: session.clientId ?? undefined,
      exp: Math.floor(refresh.expiresAt.getTime() / 1000),
      iat: Math.floor(refresh.createdAt.getTime() / 1000),
      iss: this.app.issuer,
      aud: this.app.audience,
      // Opaque tokens have no jti; the stored SHA-256 identifies this one without revealing it.
      jti: refresh.tokenHash,
    };
  }
}
