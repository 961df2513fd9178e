import { Injectable } from '@nestjs/common';
import { EventEmitter2 } from '@nestjs/event-emitter';
import type { EntityManager } from 'typeorm';

/** Not a security event: it carries addresses, which the audit log never stores. */
export const EMAIL_CHANGED = 'account.email_changed';

export interface EmailChange {
  userId: string;
  username: string;
  /** Null for a new account, or one that had none. */
  previousEmail: string | null;
  /** Null when the address was removed. */
  email: string | null;
}

/**
 * Announces a new, changed or removed address inside the transaction that stores it, so that
 * what follows (a verification mail, a notice to the old address) commits with it or not at all.
 */
@Injectable()
export class EmailChanges {
  constructor(private readonly emitter: EventEmitter2) {}

  async announce(change: EmailChange, manager: EntityManager): Promise<void> {
    await this.emitter.emitAsync(EMAIL_CHANGED, change, manager);
  }
}
