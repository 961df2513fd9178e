import { HttpStatus, Injectable, UnauthorizedException } from '@nestjs/common';
import { OAuthException } from '../common/oauth.exception';
import { RequestContext } from '../common/request-context';
import { SecurityEvents } from '../events/security-events.service';
import { PasswordHasher } from '../passwords/password-hasher.service';
import { PasswordPolicy } from '../passwords/password-policy.service';
import { LoginThrottle } from '../throttling/login-throttle.service';
import { User } from './entities/user.entity';
import { normalizeUsername } from './username';
import { UsersService } from './users.service';

/** The one answer to a failed password login, whichever of username and password was wrong. */
export const incorrectCredentials = (): OAuthException =>
  new OAuthException('invalid_grant', 'Incorrect username or password', HttpStatus.UNAUTHORIZED);

/** Checks of a user's password: at login, and before the password is changed. */
@Injectable()
export class CredentialsService {
  constructor(
    private readonly users: UsersService,
    private readonly hasher: PasswordHasher,
    private readonly policy: PasswordPolicy,
    private readonly loginThrottle: LoginThrottle,
    private readonly events: SecurityEvents,
  ) {}

  /**
   * The user, or 401 invalid_grant (the same body whether the username or the password is wrong),
   * or 403 access_denied for a disabled account with the right password.
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

  /**
   * Checked like a login and on the same counters, so whoever holds a stolen access token cannot
   * try passwords here faster than at the token endpoint. Every session and access token from
   * before the change stop working (User.tokenVersion).
   */
  async changePassword(
    user: User,
    currentPassword: string,
    newPassword: string,
    context: RequestContext,
  ): Promise<void> {
    // Refused before anything is counted: choosing a weak password is not a wrong password.
    this.policy.assertAcceptable(newPassword, user.username, 'newPassword');
    const attempt = await this.loginThrottle.begin(user.username, context);
    const account = await this.users.findWithPasswordHash(user.id);
    const changed =
      account !== null &&
      (await this.hasher.verify(account.passwordHash, currentPassword)) &&
      (await this.users.replacePassword(account, await this.hasher.hash(newPassword)));
    await this.events.publish({
      type: 'password_changed',
      userId: user.id,
      context,
      detail: changed ? { outcome: 'success' } : { outcome: 'failure', reason: 'credentials' },
    });
    if (!changed) {
      throw new UnauthorizedException('The current password is incorrect');
    }
    await this.loginThrottle.succeeded(attempt);
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
}
