import { HttpStatus, Injectable } from '@nestjs/common';
import { OAuthException } from '../../common/oauth.exception';
import { SecurityEvents } from '../../events/security-events.service';
import { amrOf, isAccountCurrent } from '../../sessions/session-liveness';
import { RefreshRotationService } from '../../sessions/refresh-rotation.service';
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
    private readonly rotation: RefreshRotationService,
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
    const found = await this.rotation.findByRefreshToken(refreshToken);
    if (!found || found.session.clientId !== (client?.clientId ?? null)) {
      throw invalidRefreshToken();
    }
    const scope = grantedScope(body.scope, found.session.scope.split(' '));
    // Before the token is spent: an account disabled, deleted or with a new password ends it.
    const user = await this.users.findById(found.session.userId);
    if (!isAccountCurrent(found.session, user)) {
      await this.sessions.revoke(found.session.id);
      throw invalidRefreshToken();
    }
    const redemption = await this.rotation.redeem(refreshToken, {
      refreshed: (session, replayed) => ({
        type: 'token_refreshed',
        userId: session.userId,
        clientId: session.clientId,
        context,
        detail: { outcome: 'success', sessionId: session.id, replayed },
      }),
      reused: (session) => ({
        type: 'refresh_reuse_detected',
        userId: session.userId,
        clientId: session.clientId,
        context,
        detail: { sessionId: session.id },
      }),
    });
    if (redemption.outcome === 'invalid') {
      throw invalidRefreshToken();
    }
    if (redemption.outcome === 'reused') {
      throw new OAuthException(
        'invalid_grant',
        'The refresh token was already used; its session has been revoked',
        HttpStatus.UNAUTHORIZED,
      );
    }
    const { session } = redemption;
    const issued = await this.accessTokens.issueForUser(user, scope, {
      sessionId: session.id,
      clientId: session.clientId,
      amr: amrOf(session),
      planned: redemption.access,
    });
    const owner = { userId: user.id, clientId: session.clientId, context };
    await publishIssued(this.events, 'refresh_token', owner);
    return tokenResponse(issued, redemption.refreshToken);
  }
}
