import { Inject, Injectable } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import type { EntityManager } from 'typeorm';
import { mailConfig } from '../config/mail.config';
import { Outbox } from '../mail/outbox.service';
import { AccountTokens } from './account-tokens.service';

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

  async sendPasswordReset(manager: EntityManager, user: Recipient): Promise<void> {
    const ttlMs = this.config.passwordResetTtlMs;
    const token = await this.tokens.issue(manager, {
      userId: user.id,
      purpose: 'password_reset',
      email: user.email,
      ttlMs,
    });
    await this.outbox.enqueue(manager, {
      to: user.email,
      template: 'password-reset',
      userId: user.id,
      values: this.linkValues(this.config.passwordResetUrl, token, user.username, ttlMs),
    });
  }

  async sendVerification(manager: EntityManager, user: Recipient): Promise<void> {
    const ttlMs = this.config.emailVerifyTtlMs;
    const token = await this.tokens.issue(manager, {
      userId: user.id,
      purpose: 'email_verification',
      email: user.email,
      ttlMs,
    });
    await this.outbox.enqueue(manager, {
      to: user.email,
      template: 'email-verification',
      userId: user.id,
      values: this.linkValues(this.config.emailVerifyUrl, token, user.username, ttlMs),
    });
  }

  private linkValues(template: string, token: string, username: string, ttlMs: number) {
    return {
      username,
      token,
      link: template.split('{token}').join(token),
      expiresIn: describeDuration(ttlMs),
    };
  }
}
