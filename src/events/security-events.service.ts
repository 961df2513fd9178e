import { Injectable } from '@nestjs/common';
import { EventEmitter2 } from '@nestjs/event-emitter';
import { SECURITY_EVENT, SecurityEvent } from './security-event';

/**
 * Where the service says what happened; the audit log and the metrics listen. Publishing awaits
 * the listeners, so an audit record that cannot be stored fails the request instead of vanishing.
 */
@Injectable()
export class SecurityEvents {
  constructor(private readonly emitter: EventEmitter2) {}

  async publish(event: SecurityEvent): Promise<void> {
    await this.emitter.emitAsync(SECURITY_EVENT, event);
  }
}
