import { HttpStatus, Injectable } from '@nestjs/common';
import { OAuthException } from '../../common/oauth.exception';
import { SecurityEvents } from '../../events/security-events.service';
import { isAccountCurrent } from '../../sessions/session-liveness';
import { SessionsService } from '../../sessions/sessions.service';
import { AccessTokensService } from '../../tokens/access-tokens.service';
import { UsersService } from '../../users/users.service';
import { requireGrant } from '../client-authentication';
import { TokenResponseDto } from '../dto/token-response.dto';
import { grantedScope } from '../scopes';
import { GrantRequest, publishIssued, TokenGrant, tokenResponse } from './token-grant';

const invalidRefreshToken = () =>
  new OAuthException('invalid_grant', 'The refresh token is invalid, expired or revoked');

/** RFC 6749 section 6, with rotation: the presented refresh token is spent. */
@Injectable()
export class RefreshTokenGrant implements TokenGrant {
  constructor(
    private readonly sessions: SessionsService,
    private readonly users: UsersService,
    private readonly accessTokens: AccessTokensService,
    private readonly events: SecurityEvents,
  ) {}

  async issue({ body, client, context }: GrantRequest): Promise<TokenResponseDto> {
    if (client) {
      requireGrant(client, 'refresh_token');
    }
    const refreshToken = body.refresh_token;
    if (!refreshToken) {
      throw new OAuthException('invalid_request', 'refresh_token is required');
    }
    // A family started through a client may be refreshed only by that client (RFC 6749 section 6),
    // checked before redeeming so that a wrong client cannot spend the token.
    const found = await this.sessions.findByRefreshToken(refreshToken);
    if (!found || found.session.clientId !== (client?.clientId ?? null)) {
      throw invalidRefreshToken();
    }
    const scope = grantedScope(body.scope, found.session.scope.split(' '));
    const redemption = await this.sessions.redeem(refreshToken);
    if (redemption.outcome === 'invalid') {
      throw invalidRefreshToken();
    }
    const { session } = redemption;
    if (redemption.outcome === 'reused') {
      await this.events.publish({
        type: 'refresh_reuse_detected',
        userId: session.userId,
        clientId: session.clientId,
        context,
        detail: { sessionId: session.id },
      });
      throw new OAuthException(
        'invalid_grant',
        'The refresh token was already used; its session has been revoked',
        HttpStatus.UNAUTHORIZED,
      );
    }
    const user = await this.users.findById(session.userId);
    if (!isAccountCurrent(session, user)) {
      await this.sessions.revoke(session.id);
      throw invalidRefreshToken();
    }
    const issued = await this.accessTokens.issueForUser(user, scope, {
      sessionId: session.id,
      clientId: session.clientId,
      planned: redemption.access,
    });
    await this.events.publish({
      type: 'token_refreshed',
      userId: user.id,
      clientId: session.clientId,
      context,
      detail: {
        outcome: 'success',
        sessionId: session.id,
        replayed: redemption.outcome === 'replayed',
      },
    });
    const owner = { userId: user.id, clientId: session.clientId, context };
    await publishIssued(this.events, 'refresh_token', owner);
    return tokenResponse(issued, redemption.refreshToken);
  }
}
