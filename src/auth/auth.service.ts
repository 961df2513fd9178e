import { ForbiddenException, HttpStatus, Injectable } from '@nestjs/common';
import { OAuthException } from '../common/oauth.exception';
import { RequestContext } from '../common/request-context';
import { SecurityEvents } from '../events/security-events.service';
import { InvalidAccessTokenException } from '../common/invalid-access-token.exception';
import { PasswordHasher } from '../passwords/password-hasher.service';
import { Client } from '../clients/entities/client.entity';
import { isSessionLive } from '../sessions/sessions.service';
import { AccessTokenClaims } from '../tokens/access-tokens.service';
import { CLOCK_SKEW_SECONDS } from '../tokens/clock-skew';
import { User } from '../users/entities/user.entity';
import { normalizeUsername, UsersService } from '../users/users.service';
import { AuthenticatedUser } from './authenticated-user';
import { PrincipalStateService } from './principal-state.service';

/** The one answer to a failed password grant, whichever of username and password was wrong. */
export const incorrectCredentials = (): OAuthException =>
  new OAuthException('invalid_grant', 'Incorrect username or password', HttpStatus.UNAUTHORIZED);

export type Principal =
  | { kind: 'user'; user: User; claims: AccessTokenClaims }
  | { kind: 'client'; client: Client; claims: AccessTokenClaims };

function wellFormedClaims(payload: unknown): AccessTokenClaims {
  const claims = payload as Partial<AccessTokenClaims>;
  const now = Math.floor(Date.now() / 1000);
  if (
    typeof claims.sub !== 'string' ||
    typeof claims.jti !== 'string' ||
    typeof claims.iat !== 'number' ||
    typeof claims.exp !== 'number' ||
    claims.iat > now + CLOCK_SKEW_SECONDS ||
    (claims.sid !== undefined && typeof claims.sid !== 'string') ||
    (claims.client_id !== undefined && typeof claims.client_id !== 'string')
  ) {
    throw new InvalidAccessTokenException();
  }
  return claims as AccessTokenClaims;
}

@Injectable()
export class AuthService {
  constructor(
    private readonly users: UsersService,
    private readonly hasher: PasswordHasher,
    private readonly principalState: PrincipalStateService,
    private readonly events: SecurityEvents,
  ) {}

  /**
   * The password grant's check: the user, or 401 invalid_grant (the same body whether the
   * username or the password is wrong), or 403 access_denied for a disabled account with the
   * right password. Failures are published for the audit log and the metrics.
   */
  async authenticatePassword(
    username: string,
    password: string,
    context: RequestContext,
  ): Promise<User> {
    const { account, passwordMatches } = await this.checkPassword(username, password);
    if (account && passwordMatches && !account.disabled) {
      return account;
    }
    const disabled = account !== null && passwordMatches;
    await this.events.publish({
      type: 'login_failed',
      // The audit log names the account that was tried; the caller's answer never reveals it.
      userId: account?.id ?? null,
      context,
      detail: {
        outcome: 'failure',
        reason: disabled ? 'disabled' : 'credentials',
        username: normalizeUsername(username),
      },
    });
    throw disabled
      ? new OAuthException('access_denied', 'This account is disabled', HttpStatus.FORBIDDEN)
      : incorrectCredentials();
  }

  /** The user whose password this is, or null. */
  async validateCredentials(username: string, password: string): Promise<User | null> {
    const { account, passwordMatches } = await this.checkPassword(username, password);
    return passwordMatches ? account : null;
  }

  /**
   * Unknown usernames pay for one argon2 verification too, so the answer takes about as long
   * whether or not the account exists. A hash weaker than configured is upgraded on a match.
   */
  private async checkPassword(
    username: string,
    password: string,
  ): Promise<{ account: User | null; passwordMatches: boolean }> {
    const account = await this.users.findForLogin(username);
    if (!account) {
      await this.hasher.verifyAgainstDummy(password);
      return { account: null, passwordMatches: false };
    }
    if (!(await this.hasher.verify(account.passwordHash, password))) {
      return { account, passwordMatches: false };
    }
    if (this.hasher.needsRehash(account.passwordHash)) {
      await this.users.replacePasswordHash(
        account.id,
        account.passwordHash,
        await this.hasher.hash(password),
      );
    }
    return { account, passwordMatches: true };
  }

  /**
   * Checks what a signature cannot: that the claims are complete and sane, that the token was not
   * revoked (by `jti`, or with its session), that its client still exists, and for a user that
   * the account exists, is enabled, and has not changed its password since (tokenVersion).
   */
  async principalFor(payload: unknown): Promise<Principal> {
    const claims = wellFormedClaims(payload);
    const isClientToken =
      claims.client_id !== undefined &&
      claims.sub === claims.client_id &&
      claims.preferred_username === undefined;
    const state = await this.principalState.current();
    const [revoked, session, client, user] = await Promise.all([
      state.isRevoked(claims.jti),
      claims.sid === undefined ? undefined : state.session(claims.sid),
      claims.client_id === undefined ? undefined : state.client(claims.client_id),
      isClientToken ? undefined : state.user(claims.sub),
    ]);
    const sessionActive =
      session === undefined || (session !== null && isSessionLive(session, Date.now()));
    // A disabled account answers 403 even though disabling also ended its sessions (contract:
    // GET /users/me "403 disabled account"); every other failure is an invalid token.
    if (user?.disabled) {
      throw new ForbiddenException('This account is disabled');
    }
    if (revoked || !sessionActive || client === null) {
      throw new InvalidAccessTokenException();
    }
    if (isClientToken) {
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

  /** The caller of one of Portcullis's own routes, all of which act for a user. */
  async userForAccessToken(payload: unknown): Promise<AuthenticatedUser> {
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
}
