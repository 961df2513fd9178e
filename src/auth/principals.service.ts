import { ForbiddenException, Inject, Injectable } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { authConfig } from '../config/auth.config';
import { Client } from '../clients/entities/client.entity';
import { PersonalAccessToken } from '../personal-access-tokens/entities/personal-access-token.entity';
import {
  hashPersonalAccessToken,
  isWellFormedPersonalAccessToken,
} from '../personal-access-tokens/personal-access-token';
import { PersonalAccessTokenUsage } from '../personal-access-tokens/personal-access-token-usage';
import { isPersonalAccessTokenLive } from '../personal-access-tokens/personal-access-tokens.service';
import { isSessionLive } from '../sessions/session-liveness';
import { AccessTokenClaims, accessTokenClaims, isClientToken } from '../tokens/access-token-claims';
import { User } from '../users/entities/user.entity';
import { AuthenticatedUser } from './authenticated-user';
import { InvalidAccessTokenException } from './invalid-access-token.exception';
import { PrincipalStateService } from './principal-state.service';

export type Principal =
  | { kind: 'user'; user: User; claims: AccessTokenClaims }
  | { kind: 'client'; client: Client; claims: AccessTokenClaims };

export interface PersonalPrincipal {
  user: User;
  token: PersonalAccessToken;
}

/** What a signature cannot vouch for: revocation, session, client, and the account's state. */
@Injectable()
export class PrincipalsService {
  constructor(
    private readonly principalState: PrincipalStateService,
    @Inject(authConfig.KEY) private readonly config: ConfigType<typeof authConfig>,
    private readonly usage: PersonalAccessTokenUsage,
  ) {}

  async principalFor(payload: unknown): Promise<Principal> {
    let claims: AccessTokenClaims;
    try {
      claims = accessTokenClaims(payload, this.config.accessTokenTtl);
    } catch {
      throw new InvalidAccessTokenException();
    }
    const clientToken = isClientToken(claims);
    const state = await this.principalState.current();
    const [revoked, session, client, user] = await Promise.all([
      state.isRevoked(claims.jti),
      claims.sid === undefined ? undefined : state.session(claims.sid),
      claims.client_id === undefined ? undefined : state.client(claims.client_id),
      clientToken ? undefined : state.user(claims.sub),
    ]);
    // A disabled account is 403, though disabling ended its sessions; other failures are 401.
    if (user?.disabled) {
      throw new ForbiddenException('This account is disabled');
    }
    const sessionEnded = session !== undefined && (session === null || !isSessionLive(session));
    // A user's token comes from a login, whose session must be that user's own.
    const unbound = !clientToken && (session === undefined || session?.userId !== claims.sub);
    if (revoked || sessionEnded || unbound || client === null) {
      throw new InvalidAccessTokenException();
    }
    if (clientToken) {
      if (!client) {
        throw new InvalidAccessTokenException();
      }
      return { kind: 'client', client, claims };
    }
    if (!user || claims.token_version !== user.tokenVersion) {
      throw new InvalidAccessTokenException();
    }
    return { kind: 'user', user, claims };
  }

  async userFor(payload: unknown): Promise<AuthenticatedUser> {
    const principal = await this.principalFor(payload);
    if (principal.kind === 'client') {
      throw new ForbiddenException("This route acts for a user; a client's token cannot call it");
    }
    const { user, claims } = principal;
    return {
      id: user.id,
      username: user.username,
      roles: user.roles,
      tokenId: claims.jti,
      sessionId: claims.sid,
      clientId: claims.client_id,
      account: user,
    };
  }

  /** The same account checks as an access token's, plus the token's own expiry and revocation. */
  async personalPrincipalFor(rawToken: string): Promise<PersonalPrincipal> {
    // The checksum refuses a mistyped or made-up token before any read.
    if (!isWellFormedPersonalAccessToken(rawToken)) {
      throw new InvalidAccessTokenException();
    }
    const state = await this.principalState.current();
    const token = await state.personalAccessToken(hashPersonalAccessToken(rawToken));
    const user = token ? await state.user(token.userId) : null;
    if (user?.disabled) {
      throw new ForbiddenException('This account is disabled');
    }
    if (!token || !user || !isPersonalAccessTokenLive(token, Date.now())) {
      throw new InvalidAccessTokenException();
    }
    return { user, token };
  }

  async userForPersonalAccessToken(rawToken: string): Promise<AuthenticatedUser> {
    const { user, token } = await this.personalPrincipalFor(rawToken);
    this.usage.record(token.id);
    return {
      id: user.id,
      username: user.username,
      roles: user.roles,
      tokenId: token.id,
      personalAccessToken: { scopes: token.scopes },
      account: user,
    };
  }
}
