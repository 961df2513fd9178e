import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import { Repository } from 'typeorm';
import { RequestContext } from '../common/request-context';
import { AuditDetail, AuditEvent } from './entities/audit-event.entity';

export type AuditEventType = 'refresh_reuse_detected';

export interface AuditRecord {
  type: AuditEventType;
  userId?: string | null;
  clientId?: string | null;
  context?: RequestContext;
  detail?: AuditDetail;
}

/** Writes security events; the query API and the other event types come with the audit issue. */
@Injectable()
export class AuditService {
  constructor(@InjectRepository(AuditEvent) private readonly events: Repository<AuditEvent>) {}

  async record(event: AuditRecord): Promise<void> {
    await this.events.insert({
      id: randomUUID(),
      type: event.type,
      userId: event.userId ?? null,
      clientId: event.clientId ?? null,
      ip: event.context?.ip ?? null,
      userAgent: event.context?.userAgent ?? null,
      at: new Date(),
      detail: event.detail ?? {},
    });
  }
}
