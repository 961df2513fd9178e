import { BadRequestException, ConflictException, Injectable } from '@nestjs/common';
import { OnEvent } from '@nestjs/event-emitter';
import type { EntityManager } from 'typeorm';
import { RequestContext } from '../common/request-context';
import { Transactions } from '../database/transactions';
import { SecurityEvents } from '../events/security-events.service';
import { Outbox } from '../mail/outbox.service';
import { RequestBudgets } from '../throttling/request-budgets.service';
import { EMAIL_CHANGED, EmailChange } from '../users/email-changes';
import { User } from '../users/entities/user.entity';
import { UsersService } from '../users/users.service';
import { AccountMail } from './account-mail';
import { AccountTokens } from './account-tokens.service';
import { INVALID_TOKEN } from './password-reset.service';

@Injectable()
export class EmailVerificationService {
  constructor(
    private readonly users: UsersService,
    private readonly tokens: AccountTokens,
    private readonly mail: AccountMail,
    private readonly outbox: Outbox,
    private readonly budgets: RequestBudgets,
    private readonly transactions: Transactions,
    private readonly events: SecurityEvents,
  ) {}

  /**
   * In the transaction that stores the change: a verification mail to the new address, a notice
   * to the old one. Links mailed to the old address (verification, reset) die with it.
   */
  @OnEvent(EMAIL_CHANGED, { async: true, promisify: true, suppressErrors: false })
  async onEmailChanged(change: EmailChange, manager: EntityManager): Promise<void> {
    const { userId, username, previousEmail, email } = change;
    await this.tokens.voidAll(manager, userId, ['email_verification', 'password_reset']);
    if (email) {
      await this.mail.sendVerification(manager, { id: userId, username, email });
    }
    if (previousEmail) {
      await this.outbox.enqueue(manager, {
        to: previousEmail,
        template: 'email-changed',
        userId,
        values: { username },
      });
    }
  }

  /** A new link; the earlier ones die. */
  async resend(user: User, context: RequestContext): Promise<void> {
    this.outbox.assertConfigured();
    const { id, username, email } = user;
    if (!email) {
      throw new ConflictException('Your account has no email address to verify');
    }
    if (user.emailVerified) {
      throw new ConflictException('Your email address is already verified');
    }
    await this.budgets.spend('verification_mail', context, id);
    await this.transactions.run((manager) =>
      this.mail.sendVerification(manager, { id, username, email }),
    );
  }

  async verify(token: string, context: RequestContext): Promise<void> {
    await this.transactions.run(async (manager) => {
      const spent = await this.tokens.spend(manager, token, 'email_verification');
      // The address may have changed since the mail went out: the link proves the old one only.
      const verified =
        typeof spent?.email === 'string' &&
        (await this.users.markEmailVerified(manager, spent.userId, spent.email));
      if (!spent || !verified) {
        throw new BadRequestException(INVALID_TOKEN);
      }
      await this.events.publish({ type: 'email_verified', userId: spent.userId, context }, manager);
    });
  }
}
