import { Injectable } from '@nestjs/common';
import { EventEmitter2 } from '@nestjs/event-emitter';
import type { EntityManager } from 'typeorm';
import { SECURITY_EVENT, SecurityEvent } from './security-event';

/**
 * Publishing awaits the listeners: an audit record that cannot be stored fails the request. Given
 * the manager of a transaction, the record is written in it, so it commits with the change.
 */
@Injectable()
export class SecurityEvents {
  constructor(private readonly emitter: EventEmitter2) {}

  async publish(event: SecurityEvent, transaction?: EntityManager): Promise<void> {
    await this.emitter.emitAsync(SECURITY_EVENT, event, transaction);
  }
}
