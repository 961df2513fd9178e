import { Inject, Injectable, ServiceUnavailableException } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { InjectRepository } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import { EntityManager, Repository } from 'typeorm';
import { mailConfig } from '../config/mail.config';
import { deleteInBatches } from '../database/batched-delete';
import { SecretSealing } from '../common/secret-sealing';
import { TemplateName, TemplateValues } from './default-templates';
import { OutboxMessage } from './entities/outbox-message.entity';
import { MailTemplates } from './mail-templates';

export const MAIL_NOT_CONFIGURED = 'mail delivery is not configured';

/** Sent and failed messages stay this long (their bodies cleared), for whoever looks into one. */
export const FINISHED_MAIL_RETENTION_MS = 7 * 86_400_000;

export interface MailRequest {
  to: string;
  template: TemplateName;
  values: TemplateValues;
  /** The account it concerns, named in the audit record if it cannot be delivered. */
  userId?: string;
}

export type MailDelivery = Pick<OutboxMessage, 'status' | 'attempts' | 'lastError'>;

/** What the sealed payload holds. */
export interface SealedMail {
  to: string;
  userId: string | null;
  subject: string;
  text: string;
  html: string;
}

/**
 * Mail is written to the outbox in the caller's transaction, so it exists exactly when the state it
 * announces does; MailSender delivers it afterwards.
 */
@Injectable()
export class Outbox {
  private readonly sealing: SecretSealing;
  private readonly templates: MailTemplates;
  private listener: () => void = () => undefined;

  constructor(
    @InjectRepository(OutboxMessage) private readonly messages: Repository<OutboxMessage>,
    @Inject(mailConfig.KEY) private readonly config: ConfigType<typeof mailConfig>,
  ) {
    this.sealing = new SecretSealing(config.keyEncryptionKeys, {
      purpose: 'mail outbox',
      describe: (id) => `content of mail message ${id}`,
    });
    this.templates = new MailTemplates(config.templatesDir);
  }

  get configured(): boolean {
    return this.config.url !== undefined;
  }

  /** For the routes whose whole point is a mail: 503 rather than a promise never kept. */
  assertConfigured(): void {
    if (!this.configured) {
      throw new ServiceUnavailableException(MAIL_NOT_CONFIGURED);
    }
  }

  /** Nothing is stored while mail is not configured: there is no one to send it. */
  async enqueue(manager: EntityManager, request: MailRequest): Promise<string | undefined> {
    if (!this.configured) {
      return undefined;
    }
    const id = randomUUID();
    const now = Date.now();
    const content = this.templates.render(request.template, {
      product: this.config.productName,
      ...request.values,
    });
    const mail: SealedMail = { to: request.to, userId: request.userId ?? null, ...content };
    await manager.insert(OutboxMessage, {
      id,
      template: request.template,
      payload: this.sealing.seal(id, JSON.stringify(mail)),
      status: 'pending',
      attempts: 0,
      nextAttemptAt: now,
      leaseUntil: 0,
      claim: null,
      lastError: null,
      createdAt: now,
      finishedAt: null,
    });
    this.listener();
    return id;
  }

  /** Where one message stands: pending (with the last failure, if any), sent or failed. */
  async deliveryOf(id: string): Promise<MailDelivery | undefined> {
    const message = await this.messages.findOneBy({ id });
    return message
      ? { status: message.status, attempts: message.attempts, lastError: message.lastError }
      : undefined;
  }

  /** Called after each enqueue (MailSender delivers soon after, once the transaction is in). */
  onEnqueued(listener: () => void): void {
    this.listener = listener;
  }

  open(message: OutboxMessage): SealedMail {
    return JSON.parse(this.sealing.open(message.id, message.payload ?? '')) as SealedMail;
  }

  pendingCount(): Promise<number> {
    return this.messages.countBy({ status: 'pending' });
  }

  purgeFinished(now: number): Promise<number> {
    return deleteInBatches(
      this.messages.manager.connection,
      OutboxMessage,
      `"status" IN ('sent', 'failed') AND "finishedAt" < :cutoff`,
      { cutoff: now - FINISHED_MAIL_RETENTION_MS },
    );
  }
}
