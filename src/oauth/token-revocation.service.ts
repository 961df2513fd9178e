import { Injectable } from '@nestjs/common';
import { Client } from '../clients/entities/client.entity';
import { RequestContext } from '../common/request-context';
import { SecurityEvents } from '../events/security-events.service';
import { Transactions } from '../database/transactions';
import {
  isWellFormedPersonalAccessToken,
  PERSONAL_ACCESS_TOKEN_SHAPE,
} from '../personal-access-tokens/personal-access-token';
import { PersonalAccessTokensService } from '../personal-access-tokens/personal-access-tokens.service';
import { RefreshRotationService } from '../sessions/refresh-rotation.service';
import { SessionsService } from '../sessions/sessions.service';
import type { EntityManager } from 'typeorm';
import { AccessTokenDenylist } from '../tokens/access-token-denylist';
import { isClientToken } from '../tokens/access-token-claims';
import { AccessTokensService } from '../tokens/access-tokens.service';

/** A token of ours, found, and how to end it: the write and its record commit together. */
interface Revocation {
  tokenType: 'access_token' | 'refresh_token';
  userId: string | null;
  clientId: string | null;
  write(manager: EntityManager): Promise<void>;
}

// RFC 7009: an unknown or foreign token is not an error (section 2.2); a failure to store the
// revocation is, so that nothing is reported revoked that was not.
@Injectable()
export class TokenRevocationService {
  constructor(
    private readonly accessTokens: AccessTokensService,
    private readonly sessions: SessionsService,
    private readonly rotation: RefreshRotationService,
    private readonly transactions: Transactions,
    private readonly denylist: AccessTokenDenylist,
    private readonly events: SecurityEvents,
    private readonly personalAccessTokens: PersonalAccessTokensService,
  ) {}

  async revoke(
    token: string,
    hint: string | undefined,
    client: Client | undefined,
    context: RequestContext,
  ): Promise<void> {
    // Its own shape, whatever the hint; a wrong checksum is not a token of ours.
    if (PERSONAL_ACCESS_TOKEN_SHAPE.test(token)) {
      if (isWellFormedPersonalAccessToken(token)) {
        await this.personalAccessTokens.revokePresented(token, { context });
      }
      return;
    }
    const attempts =
      hint === 'access_token'
        ? [() => this.asAccess(token), () => this.asRefresh(token)]
        : [() => this.asRefresh(token), () => this.asAccess(token)];
    for (const attempt of attempts) {
      const revocation = await attempt();
      if (revocation) {
        const { tokenType, userId, clientId, write } = revocation;
        await this.transactions.run(async (manager) => {
          await write(manager);
          await this.events.publish(
            {
              type: 'token_revoked',
              userId,
              clientId: clientId ?? client?.clientId,
              context,
              detail: { tokenType },
            },
            manager,
          );
        });
        return;
      }
    }
  }

  private async asRefresh(token: string): Promise<Revocation | undefined> {
    const found = await this.rotation.findByRefreshToken(token);
    if (!found) {
      return undefined;
    }
    const { id, userId, clientId } = found.session;
    return {
      tokenType: 'refresh_token',
      userId,
      clientId,
      write: (manager) => this.sessions.revoke(id, manager),
    };
  }

  private async asAccess(token: string): Promise<Revocation | undefined> {
    const claims = await this.accessTokens.claimsOf(token);
    if (!claims) {
      return undefined;
    }
    return {
      tokenType: 'access_token',
      userId: isClientToken(claims) ? null : claims.sub,
      clientId: claims.client_id ?? null,
      write: (manager) => this.denylist.revoke(claims.jti, new Date(claims.exp * 1000), manager),
    };
  }
}
