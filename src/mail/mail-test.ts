import { BadRequestException, Injectable } from '@nestjs/common';
import { isEmail } from 'class-validator';
import { setTimeout as sleep } from 'node:timers/promises';
import { Transactions } from '../database/transactions';
import { MailDelivery, Outbox } from './outbox.service';

const POLL_MS = 200;

/** A test message through the outbox, as every other mail goes, and how its delivery went. */
@Injectable()
export class MailTest {
  constructor(
    private readonly outbox: Outbox,
    private readonly transactions: Transactions,
  ) {}

  /** Waits at most `waitMs` for the sender to deliver it (or to give up on it). */
  async send(to: string, waitMs: number): Promise<MailDelivery & { id: string }> {
    if (!isEmail(to)) {
      throw new BadRequestException('The address must be an email address');
    }
    this.outbox.assertConfigured();
    const id = await this.transactions.run((manager) =>
      this.outbox.enqueue(manager, { to, template: 'mail-test', values: {} }),
    );
    if (id === undefined) {
      throw new Error('The outbox stored no message');
    }
    const deadline = Date.now() + waitMs;
    for (;;) {
      const delivery = await this.outbox.deliveryOf(id);
      if (!delivery || delivery.status !== 'pending' || Date.now() >= deadline) {
        return {
          id,
          status: delivery?.status ?? 'pending',
          attempts: 0,
          lastError: null,
          ...delivery,
        };
      }
      await sleep(POLL_MS);
    }
  }
}
