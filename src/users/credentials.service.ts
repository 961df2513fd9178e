import { ConflictException, HttpStatus, Injectable, UnauthorizedException } from '@nestjs/common';
import { OAuthException } from '../common/oauth.exception';
import { RequestContext } from '../common/request-context';
import { Initiator, SecurityEvent, SecurityEventDetail } from '../events/security-event';
import { SecurityEvents } from '../events/security-events.service';
import { PasswordHasher } from '../passwords/password-hasher.service';
import { PasswordPolicy } from '../passwords/password-policy.service';
import { LoginThrottle } from '../throttling/login-throttle.service';
import { User } from './entities/user.entity';
import { UsersService } from './users.service';

/** The one answer to a failed password login, whichever of username and password was wrong. */
export const incorrectCredentials = (): OAuthException =>
  new OAuthException('invalid_grant', 'Incorrect username or password', HttpStatus.UNAUTHORIZED);

const wrongCurrentPassword = () => new UnauthorizedException('The current password is incorrect');

@Injectable()
export class CredentialsService {
  constructor(
    private readonly users: UsersService,
    private readonly hasher: PasswordHasher,
    private readonly policy: PasswordPolicy,
    private readonly loginThrottle: LoginThrottle,
    private readonly events: SecurityEvents,
  ) {}

  /** 401 invalid_grant whichever was wrong; 403 for a disabled account given the right password. */
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
      // What was typed for an unknown name may be a password typed in the wrong field: kept only
      // when it names an account, which the userId does anyway.
      detail: {
        outcome: 'failure',
        reason: disabled ? 'disabled' : 'credentials',
        ...(account ? { username: account.normalizedUsername } : { unknownUsername: true }),
      },
    });
    throw disabled
      ? new OAuthException('access_denied', 'This account is disabled', HttpStatus.FORBIDDEN)
      : incorrectCredentials();
  }

  /**
   * Re-authentication before a sensitive change: on the login counters, like a password change,
   * so that a stolen access token is no faster an oracle here. `failed` records a wrong password.
   */
  async verifyCurrentPassword(
    user: User,
    password: string,
    context: RequestContext,
    failed: SecurityEvent,
  ): Promise<void> {
    await this.loginThrottle.attempt(user.username, context, async () => {
      const account = await this.users.findWithPasswordHash(user.id);
      if (!account || !(await this.hasher.verify(account.passwordHash, password))) {
        await this.events.publish(failed);
        throw wrongCurrentPassword();
      }
    });
  }

  // On the login counters, so a stolen access token cannot try passwords here faster than at the
  // token endpoint. Ends every session and access token from before the change.
  async changePassword(
    user: User,
    currentPassword: string,
    newPassword: string,
    context: RequestContext,
  ): Promise<void> {
    // Refused before anything is counted: choosing a weak password is not a wrong password.
    this.policy.assertAcceptable(newPassword, user.username, 'newPassword');
    const failed = { outcome: 'failure', reason: 'credentials' };
    await this.loginThrottle.attempt(user.username, context, async () => {
      const account = await this.users.findWithPasswordHash(user.id);
      const event = (detail: SecurityEventDetail) =>
        ({ type: 'password_changed', userId: user.id, context, detail }) as const;
      const changed =
        account !== null &&
        (await this.hasher.verify(account.passwordHash, currentPassword)) &&
        (await this.users.replacePassword(
          account,
          await this.hasher.hash(newPassword),
          event({ outcome: 'success' }),
        ));
      if (!changed) {
        await this.events.publish(event(failed));
        throw wrongCurrentPassword();
      }
    });
  }

  /**
   * An administrator sets the password (the operator CLI): the policy applies, every session and
   * access token ends, and the user gets the "password changed" notice, as after their own change.
   */
  async setByAdministrator(user: User, newPassword: string, initiator: Initiator): Promise<void> {
    this.policy.assertAcceptable(newPassword, user.username, 'password');
    const passwordHash = await this.hasher.hash(newPassword);
    const account = await this.users.findWithPasswordHash(user.id);
    const changed =
      account !== null &&
      (await this.users.replacePassword(account, passwordHash, {
        type: 'password_changed',
        userId: user.id,
        context: initiator.context,
        detail: { outcome: 'success', by: 'admin', actorId: initiator.actorId ?? null },
      }));
    if (!changed) {
      throw new ConflictException('The account changed meanwhile: try again');
    }
  }

  // Unknown usernames cost an argon2 verification too (timing); weak hashes upgrade on a match.
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
