import { ForbiddenException, Injectable } from '@nestjs/common';
import { InvalidAccessTokenException } from '../common/invalid-access-token.exception';
import { OAuthException } from '../common/oauth.exception';
import { PasswordHasher } from '../passwords/password-hasher.service';
import { AccessTokenClaims, AccessTokensService } from '../tokens/access-tokens.service';
import { User } from '../users/entities/user.entity';
import { UsersService } from '../users/users.service';
import { AuthenticatedUser } from './authenticated-user';
import { TokenResponseDto } from './dto/token-response.dto';

/** Scopes a user's token may carry; the only one for now, and the default. */
export const USER_SCOPES = ['profile'];

/** RFC 6749 allows small clock differences between issuer and verifier; RFC 9068 peers use 30 s too. */
export const CLOCK_SKEW_SECONDS = 30;

function grantedScope(requested: string | undefined): string {
  const scopes = (requested ?? '').split(' ').filter(Boolean);
  const unknown = scopes.filter((scope) => !USER_SCOPES.includes(scope));
  if (unknown.length > 0) {
    throw new OAuthException('invalid_scope', `Unknown scope: ${unknown.join(' ')}`);
  }
  return (scopes.length > 0 ? [...new Set(scopes)] : USER_SCOPES).join(' ');
}

@Injectable()
export class AuthService {
  constructor(
    private readonly users: UsersService,
    private readonly hasher: PasswordHasher,
    private readonly accessTokens: AccessTokensService,
  ) {}

  /**
   * The user whose password this is, or null. Unknown usernames pay for one argon2 verification
   * too, so the answer takes about as long whether or not the account exists.
   */
  async validateCredentials(username: string, password: string): Promise<User | null> {
    const user = await this.users.findForLogin(username);
    if (!user) {
      await this.hasher.verifyAgainstDummy(password);
      return null;
    }
    if (!(await this.hasher.verify(user.passwordHash, password))) {
      return null;
    }
    if (this.hasher.needsRehash(user.passwordHash)) {
      await this.users.replacePasswordHash(user.id, await this.hasher.hash(password));
    }
    return user;
  }

  async passwordGrant(user: User, requestedScope: string | undefined): Promise<TokenResponseDto> {
    const issued = await this.accessTokens.issueForUser(user, grantedScope(requestedScope));
    return {
      access_token: issued.accessToken,
      token_type: 'bearer',
      expires_in: issued.expiresIn,
      scope: issued.scope,
    };
  }

  /**
   * Checks what a signature cannot: that the claims are complete and sane, and that the account
   * still exists, is enabled, and has not changed its password since the token was issued (tokenVersion).
   */
  async userForAccessToken(payload: unknown): Promise<AuthenticatedUser> {
    const claims = payload as Partial<AccessTokenClaims>;
    const now = Math.floor(Date.now() / 1000);
    if (
      typeof claims.sub !== 'string' ||
      typeof claims.jti !== 'string' ||
      typeof claims.iat !== 'number' ||
      typeof claims.exp !== 'number' ||
      claims.iat > now + CLOCK_SKEW_SECONDS
    ) {
      throw new InvalidAccessTokenException();
    }
    const user = await this.users.findById(claims.sub);
    if (!user) {
      throw new InvalidAccessTokenException();
    }
    if (user.disabled) {
      throw new ForbiddenException('This account is disabled');
    }
    if (claims.token_version !== user.tokenVersion) {
      throw new InvalidAccessTokenException();
    }
    return { id: user.id, username: user.username, roles: user.roles, tokenId: claims.jti };
  }
}
