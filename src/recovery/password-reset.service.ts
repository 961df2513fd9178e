import { BadRequestException, ConflictException, Injectable } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { RequestContext } from '../common/request-context';
import { Transactions } from '../database/transactions';
import { Initiator } from '../events/security-event';
import { SecurityEvents } from '../events/security-events.service';
import { Outbox } from '../mail/outbox.service';
import { PasswordHasher } from '../passwords/password-hasher.service';
import { PasswordPolicy } from '../passwords/password-policy.service';
import { LoginThrottle } from '../throttling/login-throttle.service';
import { RequestBudgets } from '../throttling/request-budgets.service';
import { User } from '../users/entities/user.entity';
import { normalizeUsername } from '../users/username';
import { UsersService } from '../users/users.service';
import { AccountMail, Recipient } from './account-mail';
import { AccountTokens } from './account-tokens.service';
import { PasswordResetRequestDto } from './dto/password-reset-request.dto';

/**
 * Every answer to a reset request takes at least this long, whether an account matched or not:
 * the matching case writes a token and a mail, which the timing must not reveal (docs/security.md,
 * Account recovery). Well above that write's time, measured in test/password-reset-abuse.e2e-spec.ts.
 */
export const RESET_ANSWER_FLOOR_MS = 250;

export const INVALID_TOKEN = 'This link is invalid, has expired or was already used';

const NO_CONTEXT = { ip: null, userAgent: null };

const digest = (text: string): string => createHash('sha256').update(text).digest('hex');

/** The account as the caller named it, normalised as logins and registration compare it. */
function typedIdentifier({ email, username }: PasswordResetRequestDto): string {
  if (email !== undefined) {
    return `email:${email}`;
  }
  if (username !== undefined) {
    return `username:${normalizeUsername(username)}`;
  }
  throw new BadRequestException('Give email or username');
}

// No mail for a disabled account: it could not log in with the new password anyway.
function mailable({ id, username, email, disabled }: User): Recipient | undefined {
  return email && !disabled ? { id, username, email } : undefined;
}

@Injectable()
export class PasswordResetService {
  constructor(
    private readonly users: UsersService,
    private readonly tokens: AccountTokens,
    private readonly mail: AccountMail,
    private readonly outbox: Outbox,
    private readonly budgets: RequestBudgets,
    private readonly policy: PasswordPolicy,
    private readonly hasher: PasswordHasher,
    private readonly loginThrottle: LoginThrottle,
    private readonly transactions: Transactions,
    private readonly events: SecurityEvents,
  ) {}

  /**
   * The same answer, after about the same time, whether or not an account matches. The per-account
   * budget is keyed on what was typed, so known and unknown names are limited alike.
   */
  async request(input: PasswordResetRequestDto, context: RequestContext): Promise<void> {
    this.outbox.assertConfigured();
    const identifier = typedIdentifier(input);
    await this.budgets.spend('password_reset', context, digest(identifier));
    const started = performance.now();
    try {
      const user =
        input.email !== undefined
          ? await this.users.findByEmail(input.email)
          : await this.users.findForLogin(input.username ?? '');
      const recipient = user ? mailable(user) : undefined;
      await this.transactions.run(async (manager) => {
        if (recipient) {
          await this.mail.sendPasswordReset(manager, recipient);
        }
        await this.events.publish(
          {
            type: 'password_reset_requested',
            userId: recipient?.id ?? null,
            context,
            detail: { by: 'self', mailed: recipient !== undefined },
          },
          manager,
        );
      });
    } finally {
      await sleep(Math.max(0, RESET_ANSWER_FLOOR_MS - (performance.now() - started)));
    }
  }

  /** An administrator's request: the user gets the mail, the administrator never sees the token. */
  async requestFor(id: string, initiator: Initiator): Promise<void> {
    this.outbox.assertConfigured();
    const user = await this.users.getById(id);
    const { email } = user;
    if (!email) {
      throw new ConflictException('This user has no email address');
    }
    await this.budgets.spend('password_reset', initiator.context ?? NO_CONTEXT, `user:${id}`);
    await this.transactions.run(async (manager) => {
      await this.mail.sendPasswordReset(manager, { id, username: user.username, email });
      await this.events.publish(
        {
          type: 'password_reset_requested',
          userId: id,
          context: initiator.context,
          detail: { by: 'admin', actorId: initiator.actorId ?? null, mailed: true },
        },
        manager,
      );
    });
  }

  /**
   * Sets the new password and ends every session and access token of the account, in one
   * transaction with spending the token; the "password changed" notice follows the event.
   */
  async confirm(token: string, newPassword: string, context: RequestContext): Promise<void> {
    const found = await this.tokens.find(token, 'password_reset');
    const account = found && (await this.users.findWithPasswordHash(found.userId));
    if (!found || !account) {
      throw new BadRequestException(INVALID_TOKEN);
    }
    this.policy.assertAcceptable(newPassword, account.username, 'newPassword');
    const passwordHash = await this.hasher.hash(newPassword);
    const changed = await this.users.replacePassword(
      account,
      passwordHash,
      { type: 'password_reset', userId: account.id, context, detail: { outcome: 'success' } },
      {
        emailVerified: found.email !== null && found.email === account.email,
        // Throwing rolls the password change back: a token spent meanwhile changes nothing.
        spendToken: async (manager) => {
          if (!(await this.tokens.spend(manager, token, 'password_reset'))) {
            throw new BadRequestException(INVALID_TOKEN);
          }
        },
      },
    );
    if (!changed) {
      throw new BadRequestException(INVALID_TOKEN);
    }
    await this.loginThrottle.forgive(account.username, context);
  }
}
