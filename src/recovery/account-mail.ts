import { Inject, Injectable } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import type { EntityManager } from 'typeorm';
import { mailConfig } from '../config/mail.config';
import { Outbox } from '../mail/outbox.service';
import { TemplateName } from '../mail/default-templates';
import { AccountTokens } from './account-tokens.service';
import { AccountTokenPurpose } from './entities/account-token.entity';

const TEMPLATES: Record<AccountTokenPurpose, TemplateName> = {
  password_reset: 'password-reset',
  email_verification: 'email-verification',
};

/** "30 minutes", "24 hours": how long a link lasts, as a mail says it. */
export function describeDuration(ms: number): string {
  const minutes = Math.round(ms / 60_000);
  if (minutes % 60 !== 0 || minutes < 60) {
    return minutes === 1 ? '1 minute' : `${minutes} minutes`;
  }
  const hours = minutes / 60;
  return hours === 1 ? '1 hour' : `${hours} hours`;
}

export interface Recipient {
  id: string;
  username: string;
  email: string;
}

/** A fresh token of a kind and the mail that carries its link, in the caller's transaction. */
@Injectable()
export class AccountMail {
  constructor(
    private readonly tokens: AccountTokens,
    private readonly outbox: Outbox,
    @Inject(mailConfig.KEY) private readonly config: ConfigType<typeof mailConfig>,
  ) {}

  sendPasswordReset(manager: EntityManager, user: Recipient): Promise<void> {
    const { passwordResetUrl, passwordResetTtlMs } = this.config;
    return this.send(manager, user, 'password_reset', passwordResetUrl, passwordResetTtlMs);
  }

  sendVerification(manager: EntityManager, user: Recipient): Promise<void> {
    const { emailVerifyUrl, emailVerifyTtlMs } = this.config;
    return this.send(manager, user, 'email_verification', emailVerifyUrl, emailVerifyTtlMs);
  }

  private async send(
    manager: EntityManager,
    user: Recipient,
    purpose: AccountTokenPurpose,
    linkTemplate: string,
    ttlMs: number,
  ): Promise<void> {
    const { id: userId, username, email } = user;
    const token = await this.tokens.issue(manager, { userId, purpose, email, ttlMs });
    await this.outbox.enqueue(manager, {
      to: email,
      template: TEMPLATES[purpose],
      userId,
      values: {
        username,
        token,
        link: linkTemplate.split('{token}').join(token),
        expiresIn: describeDuration(ttlMs),
      },
    });
  }
}
