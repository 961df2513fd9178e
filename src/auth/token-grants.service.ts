import { HttpStatus, Injectable } from '@nestjs/common';
import { SecurityEvents } from '../events/security-events.service';
import { Client } from '../clients/entities/client.entity';
import { RequestContext } from '../common/request-context';
import { OAuthException } from '../common/oauth.exception';
import { isAccountCurrent, SessionsService } from '../sessions/sessions.service';
import { AccessTokensService } from '../tokens/access-tokens.service';
import { User } from '../users/entities/user.entity';
import { UsersService } from '../users/users.service';
import { incorrectCredentials } from './auth.service';
import { TokenResponseDto } from './dto/token-response.dto';
import { grantedScope, USER_SCOPES } from './scopes';

const invalidRefreshToken = () =>
  new OAuthException('invalid_grant', 'The refresh token is invalid, expired or revoked');

/** The grants of POST /auth/token, once the client (if any) and the user (password) are known. */
@Injectable()
export class TokenGrantsService {
  constructor(
    private readonly accessTokens: AccessTokensService,
    private readonly sessions: SessionsService,
    private readonly users: UsersService,
    private readonly events: SecurityEvents,
  ) {}

  /** One login, one session: the refresh token starts a new family. */
  async password(
    user: User,
    client: Client | undefined,
    requestedScope: string | undefined,
    context: RequestContext,
  ): Promise<TokenResponseDto> {
    const scope = grantedScope(requestedScope, USER_SCOPES);
    const started = await this.sessions.start({
      user,
      clientId: client?.clientId ?? null,
      scope,
      context,
    });
    if (!started) {
      // Deleted while its password was being checked: answered as if it had never existed.
      throw incorrectCredentials();
    }
    const issued = await this.accessTokens.issueForUser(user, scope, {
      sessionId: started.session.id,
      clientId: client?.clientId,
      planned: started.access,
    });
    await this.events.publish({
      type: 'login_succeeded',
      userId: user.id,
      clientId: client?.clientId,
      context,
      detail: { outcome: 'success', sessionId: started.session.id },
    });
    await this.issued('password', user.id, client?.clientId, context);
    return {
      access_token: issued.accessToken,
      token_type: 'bearer',
      expires_in: issued.expiresIn,
      refresh_token: started.refreshToken,
      scope,
    };
  }

  /** Rotation: a new access token and a new refresh token; the presented one is spent. */
  async refresh(
    refreshToken: string,
    client: Client | undefined,
    requestedScope: string | undefined,
    context: RequestContext,
  ): Promise<TokenResponseDto> {
    if (client) {
      assertGrantAllowed(client, 'refresh_token');
    }
    // A family started through a client may be refreshed only by that client (RFC 6749 section 6),
    // checked before redeeming so a wrong client cannot spend the token.
    const found = await this.sessions.findByRefreshToken(refreshToken);
    if (!found || found.session.clientId !== (client?.clientId ?? null)) {
      throw invalidRefreshToken();
    }
    const scope = grantedScope(requestedScope, found.session.scope.split(' '));
    const redemption = await this.sessions.redeem(refreshToken);
    if (redemption.outcome === 'invalid') {
      throw invalidRefreshToken();
    }
    if (redemption.outcome === 'reused') {
      await this.events.publish({
        type: 'refresh_reuse_detected',
        userId: redemption.session.userId,
        clientId: redemption.session.clientId,
        context,
        detail: { sessionId: redemption.session.id },
      });
      throw new OAuthException(
        'invalid_grant',
        'The refresh token was already used; its session has been revoked',
        HttpStatus.UNAUTHORIZED,
      );
    }
    const user = await this.users.findById(redemption.session.userId);
    if (!isAccountCurrent(redemption.session, user)) {
      await this.sessions.revoke(redemption.session.id);
      throw invalidRefreshToken();
    }
    const issued = await this.accessTokens.issueForUser(user, scope, {
      sessionId: redemption.session.id,
      clientId: redemption.session.clientId,
      planned: redemption.access,
    });
    await this.events.publish({
      type: 'token_refreshed',
      userId: user.id,
      clientId: redemption.session.clientId,
      context,
      detail: {
        outcome: 'success',
        sessionId: redemption.session.id,
        replayed: redemption.outcome === 'replayed',
      },
    });
    await this.issued('refresh_token', user.id, redemption.session.clientId, context);
    return {
      access_token: issued.accessToken,
      token_type: 'bearer',
      expires_in: issued.expiresIn,
      refresh_token: redemption.refreshToken,
      scope,
    };
  }

  /** A service acting for itself (RFC 6749 section 4.4): no user, no refresh token. */
  async clientCredentials(
    client: Client | undefined,
    requestedScope: string | undefined,
    context: RequestContext,
  ): Promise<TokenResponseDto> {
    if (!client) {
      throw new OAuthException(
        'invalid_client',
        'client_credentials needs client authentication',
        HttpStatus.UNAUTHORIZED,
      );
    }
    assertGrantAllowed(client, 'client_credentials');
    const scope = grantedScope(requestedScope, client.scopes);
    const issued = await this.accessTokens.issueForClient(client.clientId, scope);
    await this.issued('client_credentials', null, client.clientId, context);
    return {
      access_token: issued.accessToken,
      token_type: 'bearer',
      expires_in: issued.expiresIn,
      scope,
    };
  }

  private issued(
    grant: string,
    userId: string | null,
    clientId: string | null | undefined,
    context: RequestContext,
  ): Promise<void> {
    return this.events.publish({
      type: 'token_issued',
      userId,
      clientId,
      context,
      detail: { grant },
    });
  }
}

export function assertGrantAllowed(client: Client, grant: string): void {
  if (!client.grants.includes(grant)) {
    throw new OAuthException('unauthorized_client', `This client may not use the ${grant} grant`);
  }
}
