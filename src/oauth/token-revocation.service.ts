import { Injectable } from '@nestjs/common';
import { Client } from '../clients/entities/client.entity';
import { RequestContext } from '../common/request-context';
import { SecurityEvents } from '../events/security-events.service';
import { SessionsService } from '../sessions/sessions.service';
import { AccessTokenDenylist } from '../tokens/access-token-denylist';
import { isClientToken } from '../tokens/access-token-claims';
import { AccessTokensService } from '../tokens/access-tokens.service';

interface RevokedToken {
  tokenType: 'access_token' | 'refresh_token';
  userId: string | null;
  clientId: string | null;
}

// RFC 7009: an unknown or foreign token is not an error (section 2.2); a failure to store the
// revocation is, so that nothing is reported revoked that was not.
@Injectable()
export class TokenRevocationService {
  constructor(
    private readonly accessTokens: AccessTokensService,
    private readonly sessions: SessionsService,
    private readonly denylist: AccessTokenDenylist,
    private readonly events: SecurityEvents,
  ) {}

  async revoke(
    token: string,
    hint: string | undefined,
    client: Client | undefined,
    context: RequestContext,
  ): Promise<void> {
    const attempts =
      hint === 'access_token'
        ? [() => this.revokeAccess(token), () => this.revokeRefresh(token)]
        : [() => this.revokeRefresh(token), () => this.revokeAccess(token)];
    for (const attempt of attempts) {
      const revoked = await attempt();
      if (revoked) {
        await this.events.publish({
          type: 'token_revoked',
          userId: revoked.userId,
          clientId: revoked.clientId ?? client?.clientId,
          context,
          detail: { tokenType: revoked.tokenType },
        });
        return;
      }
    }
  }

  private async revokeRefresh(token: string): Promise<RevokedToken | undefined> {
    const found = await this.sessions.findByRefreshToken(token);
    if (!found) {
      return undefined;
    }
    await this.sessions.revoke(found.session.id);
    const { userId, clientId } = found.session;
    return { tokenType: 'refresh_token', userId, clientId };
  }

  private async revokeAccess(token: string): Promise<RevokedToken | undefined> {
    const claims = await this.accessTokens.claimsOf(token);
    if (!claims) {
      return undefined;
    }
    await this.denylist.revoke(claims.jti, new Date(claims.exp * 1000));
    return {
      tokenType: 'access_token',
      userId: isClientToken(claims) ? null : claims.sub,
      clientId: claims.client_id ?? null,
    };
  }
}
