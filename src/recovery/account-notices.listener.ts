import { Injectable } from '@nestjs/common';
import { OnEvent } from '@nestjs/event-emitter';
import type { EntityManager } from 'typeorm';
import { SECURITY_EVENT, SecurityEvent, SecurityEventType } from '../events/security-event';
import { TemplateName } from '../mail/default-templates';
import { Outbox } from '../mail/outbox.service';
import { PersonalAccessTokensService } from '../personal-access-tokens/personal-access-tokens.service';
import { UsersService } from '../users/users.service';

/** Which security events tell the account's owner by mail, and with which template. */
export const NOTICE_TEMPLATES: Partial<Record<SecurityEventType, TemplateName>> = {
  password_changed: 'password-changed',
  password_reset: 'password-changed',
  mfa_enabled: 'mfa-enabled',
  mfa_disabled: 'mfa-disabled',
  mfa_reset_by_admin: 'mfa-reset-by-admin',
};

/**
 * Any feature gets a notice mailed to the user's current address by publishing one of the events
 * above, with a userId, inside its transaction: the notice then commits with the change. Events
 * published without a transaction (failed attempts) send nothing.
 */
@Injectable()
export class AccountNotices {
  constructor(
    private readonly users: UsersService,
    private readonly outbox: Outbox,
    private readonly personalAccessTokens: PersonalAccessTokensService,
  ) {}

  @OnEvent(SECURITY_EVENT, { async: true, promisify: true, suppressErrors: false })
  async onSecurityEvent(event: SecurityEvent, transaction?: EntityManager): Promise<void> {
    const template = NOTICE_TEMPLATES[event.type];
    if (!template || !transaction || !event.userId || event.detail?.outcome === 'failure') {
      return;
    }
    const user = await this.users.findById(event.userId, transaction);
    if (!user?.email) {
      return;
    }
    await this.outbox.enqueue(transaction, {
      to: user.email,
      template,
      userId: user.id,
      values: {
        username: user.username,
        ...(template === 'password-changed' && {
          personalAccessTokens: await this.tokensStillWorking(user.id, transaction),
        }),
      },
    });
  }

  // A password change leaves personal access tokens alone: the owner should see which remain.
  private async tokensStillWorking(userId: string, transaction: EntityManager): Promise<string> {
    const now = new Date();
    const live = (await this.personalAccessTokens.listForUser(userId, transaction)).filter(
      (token) => token.expiresAt > now,
    );
    if (live.length === 0) {
      return 'You have no personal access tokens.';
    }
    const names = live.map((token) => `"${token.name}"`).join(', ');
    return `These personal access tokens still work until revoked or expired: ${names}.`;
  }
}
