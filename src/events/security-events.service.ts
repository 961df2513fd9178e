import { Injectable } from '@nestjs/common';
import { EventEmitter2 } from '@nestjs/event-emitter';
import { SECURITY_EVENT, SecurityEvent } from './security-event';

/** Publishing awaits the listeners: an audit record that cannot be stored fails the request. */
@Injectable()
export class SecurityEvents {
  constructor(private readonly emitter: EventEmitter2) {}

  async publish(event: SecurityEvent): Promise<void> {
    await this.emitter.emitAsync(SECURITY_EVENT, event);
  }
}
