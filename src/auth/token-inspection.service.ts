import { Inject, Injectable } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { appConfig } from '../config/app.config';
import { isAccountCurrent, SessionsService } from '../sessions/sessions.service';
import { AccessTokenDenylist } from '../tokens/access-token-denylist';
import { AccessTokenClaims, AccessTokensService } from '../tokens/access-tokens.service';
import { UsersService } from '../users/users.service';
import { AuthService } from './auth.service';
import { IntrospectionResponseDto } from './dto/introspection-response.dto';

export interface RevokedToken {
  tokenType: 'access_token' | 'refresh_token';
  userId: string | null;
  clientId: string | null;
}

/** RFC 7009 revocation and RFC 7662 introspection, for either kind of token. */
@Injectable()
export class TokenInspectionService {
  constructor(
    private readonly accessTokens: AccessTokensService,
    private readonly auth: AuthService,
    private readonly sessions: SessionsService,
    private readonly users: UsersService,
    private readonly denylist: AccessTokenDenylist,
    @Inject(appConfig.KEY) private readonly app: ConfigType<typeof appConfig>,
  ) {}

  /**
   * A refresh token ends its whole family; an access token is refused until it expires. An
   * unknown or foreign token is not an error (RFC 7009 section 2.2). A failure to store the
   * revocation is: it propagates, so nothing is reported revoked that was not.
   */
  async revoke(token: string, hint: string | undefined): Promise<RevokedToken | undefined> {
    const asRefresh = async (): Promise<RevokedToken | undefined> => {
      const found = await this.sessions.findByRefreshToken(token);
      if (!found) {
        return undefined;
      }
      await this.sessions.revoke(found.session.id);
      return {
        tokenType: 'refresh_token',
        userId: found.session.userId,
        clientId: found.session.clientId,
      };
    };
    const asAccess = async (): Promise<RevokedToken | undefined> => {
      const claims = await this.verifiedClaims(token);
      if (!claims) {
        return undefined;
      }
      await this.denylist.revoke(claims.jti, new Date(claims.exp * 1000));
      const isClientToken =
        claims.preferred_username === undefined && claims.client_id === claims.sub;
      return {
        tokenType: 'access_token',
        userId: isClientToken ? null : claims.sub,
        clientId: claims.client_id ?? null,
      };
    };
    const attempts = hint === 'access_token' ? [asAccess, asRefresh] : [asRefresh, asAccess];
    for (const attempt of attempts) {
      const revoked = await attempt();
      if (revoked) {
        return revoked;
      }
    }
    return undefined;
  }

  async introspect(token: string, hint: string | undefined): Promise<IntrospectionResponseDto> {
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
    return { active: false };
  }

  private async verifiedClaims(token: string): Promise<AccessTokenClaims | undefined> {
    try {
      return await this.accessTokens.verify(token);
    } catch {
      return undefined;
    }
  }

  private async introspectAccess(token: string): Promise<IntrospectionResponseDto | undefined> {
    const claims = await this.verifiedClaims(token);
    if (!claims) {
      return undefined;
    }
    try {
      const principal = await this.auth.principalFor(claims);
      return {
        active: true,
        token_type: 'bearer',
        sub: claims.sub,
        scope: claims.scope,
        client_id: claims.client_id,
        username: principal.kind === 'user' ? principal.user.username : undefined,
        exp: claims.exp,
        iat: claims.iat,
        iss: claims.iss,
        aud: claims.aud,
        jti: claims.jti,
      };
    } catch {
      // Revoked, disabled, deleted or stale: a real token of ours, but not active.
      return { active: false };
    }
  }

  private async introspectRefresh(token: string): Promise<IntrospectionResponseDto | undefined> {
    const found = await this.sessions.findByRefreshToken(token);
    if (!found) {
      return undefined;
    }
    const { token: refresh, session } = found;
    const now = new Date();
    const user = await this.users.findById(session.userId);
    const active =
      refresh.usedAt === null &&
      refresh.expiresAt > now &&
      session.revokedAt === null &&
      session.expiresAt > now &&
      isAccountCurrent(session, user);
    if (!active || !user) {
      return { active: false };
    }
    return {
      active: true,
      token_type: 'refresh_token',
      sub: user.id,
      username: user.username,
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
