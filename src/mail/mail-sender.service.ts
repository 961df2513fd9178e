import {
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
  OnModuleDestroy,
} from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { SchedulerRegistry } from '@nestjs/schedule';
import { InjectRepository } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import { LessThanOrEqual, Repository } from 'typeorm';
import { mailConfig } from '../config/mail.config';
import { Transactions } from '../database/transactions';
import { SecurityEvents } from '../events/security-events.service';
import { OutboxMessage } from './entities/outbox-message.entity';
import { MailMetrics } from './mail-metrics';
import { MailTransport } from './mail-transport';
import { Outbox } from './outbox.service';

/** Longer than a send can take (the SMTP timeouts): past it, another instance may try. */
export const SEND_LEASE_MS = 120_000;
const MAX_RETRY_DELAY_MS = 3_600_000;
const BATCH = 20;
/** After an enqueue, by when its transaction has most likely committed. */
const NUDGE_DELAY_MS = 100;

/** What may be logged or stored of a failure: codes, never a server's text (it quotes addresses). */
function failureSummary(error: unknown): string {
  const { code, responseCode } = (error ?? {}) as { code?: unknown; responseCode?: unknown };
  const parts = [typeof code === 'string' ? code : 'ERROR'];
  if (typeof responseCode === 'number') {
    parts.push(String(responseCode));
  }
  return parts.join(' ').slice(0, 200);
}

/**
 * Delivers the outbox on an interval and soon after each enqueue. Each message is claimed by one
 * conditional UPDATE with a lease, so instances never send one message at the same time; a failed
 * send is retried with exponential backoff up to MAIL_MAX_ATTEMPTS, then marked failed and audited.
 * Delivery is at least once: an instance that stops between the send and the record of it leaves
 * the message to be sent again when its lease ends.
 */
@Injectable()
export class MailSender implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(MailSender.name);
  private running?: Promise<void>;
  private again = false;
  private nudge?: NodeJS.Timeout;
  private stopped = false;

  constructor(
    @InjectRepository(OutboxMessage) private readonly messages: Repository<OutboxMessage>,
    @Inject(mailConfig.KEY) private readonly config: ConfigType<typeof mailConfig>,
    private readonly outbox: Outbox,
    private readonly transport: MailTransport,
    private readonly transactions: Transactions,
    private readonly events: SecurityEvents,
    private readonly metrics: MailMetrics,
    private readonly scheduler: SchedulerRegistry,
  ) {}

  onApplicationBootstrap(): void {
    if (!this.outbox.configured) {
      this.logger.warn(
        'MAIL_URL is not set: mail delivery is not configured, and the routes that send mail answer 503',
      );
      return;
    }
    const timer = setInterval(() => void this.deliverDue(), this.config.sendIntervalMs);
    timer.unref();
    this.scheduler.addInterval('mail', timer);
    this.outbox.onEnqueued(() => {
      this.nudge ??= setTimeout(() => {
        this.nudge = undefined;
        void this.deliverDue();
      }, NUDGE_DELAY_MS);
    });
  }

  async onModuleDestroy(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.nudge);
    await this.running;
    this.transport.close();
  }

  /** One pass over the due messages; a pass asked for while one runs follows it. */
  deliverDue(): Promise<void> {
    if (this.stopped) {
      return Promise.resolve();
    }
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = this.pass()
      .catch((error: unknown) =>
        this.logger.warn(`Mail delivery pass failed, to be tried again: ${String(error)}`),
      )
      .finally(() => {
        this.running = undefined;
        if (this.again && !this.stopped) {
          this.again = false;
          void this.deliverDue();
        }
      });
    return this.running;
  }

  private async pass(): Promise<void> {
    for (;;) {
      const now = Date.now();
      const due = await this.messages.find({
        where: {
          status: 'pending',
          nextAttemptAt: LessThanOrEqual(now),
          leaseUntil: LessThanOrEqual(now),
        },
        order: { nextAttemptAt: 'ASC', createdAt: 'ASC' },
        take: BATCH,
      });
      for (const message of due) {
        if (this.stopped) {
          return;
        }
        const claim = await this.claim(message, Date.now());
        if (claim) {
          await this.deliver(message, claim);
        }
      }
      if (due.length < BATCH) {
        return;
      }
    }
  }

  private async claim(message: OutboxMessage, now: number): Promise<string | undefined> {
    const claim = randomUUID();
    const { affected } = await this.messages
      .createQueryBuilder()
      .update(OutboxMessage)
      .set({ claim, leaseUntil: now + SEND_LEASE_MS, attempts: () => '"attempts" + 1' })
      .where('"id" = :id AND "status" = :pending AND "leaseUntil" <= :now', {
        id: message.id,
        pending: 'pending',
        now,
      })
      .execute();
    return affected === 1 ? claim : undefined;
  }

  private async deliver(message: OutboxMessage, claim: string): Promise<void> {
    const attempts = message.attempts + 1;
    let userId: string | null = null;
    try {
      const mail = this.outbox.open(message);
      userId = mail.userId;
      const { to, subject, text, html } = mail;
      await this.transport.send({ from: this.config.from, to, subject, text, html });
    } catch (error) {
      await this.failed(message, claim, attempts, userId, failureSummary(error));
      return;
    }
    await this.messages.update(
      { id: message.id, claim },
      { status: 'sent', payload: null, finishedAt: Date.now(), claim: null, lastError: null },
    );
    this.metrics.sent.inc({ template: message.template });
  }

  private async failed(
    message: OutboxMessage,
    claim: string,
    attempts: number,
    userId: string | null,
    summary: string,
  ): Promise<void> {
    const now = Date.now();
    if (attempts < this.config.maxAttempts) {
      const delay = Math.min(this.config.retryDelayMs * 2 ** (attempts - 1), MAX_RETRY_DELAY_MS);
      this.logger.warn(`Mail ${message.id} not sent (${summary}); attempt ${attempts + 1} later`);
      await this.messages.update(
        { id: message.id, claim },
        { nextAttemptAt: now + delay, leaseUntil: 0, claim: null, lastError: summary },
      );
      return;
    }
    this.logger.error(`Mail ${message.id} not sent after ${attempts} attempts (${summary})`);
    await this.transactions.run(async (manager) => {
      const { affected } = await manager.update(
        OutboxMessage,
        { id: message.id, claim },
        { status: 'failed', payload: null, finishedAt: now, claim: null, lastError: summary },
      );
      if (affected) {
        await this.events.publish(
          {
            type: 'mail_failed',
            userId,
            detail: { messageId: message.id, template: message.template, attempts, error: summary },
          },
          manager,
        );
      }
    });
    this.metrics.failed.inc({ template: message.template });
  }
}
