import { Inject, Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { OnEvent } from '@nestjs/event-emitter';
import { InjectRepository } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import { LessThan, Repository } from 'typeorm';
import { auditConfig } from '../config/audit.config';
import { PreparedStatements } from '../platform/prepared-statements';
import { SECURITY_EVENT, SecurityEvent } from '../events/security-event';
import { ListAuditQuery } from './dto/list-audit.query';
import { AuditEvent } from './entities/audit-event.entity';

// Issuance is counted by the metrics; a user's tokens are on record already (login_succeeded,
// token_refreshed), and a client's own, from client_credentials, are its login.
function isAudited(event: SecurityEvent): boolean {
  return event.type !== 'token_issued' || event.detail?.grant === 'client_credentials';
}

const PURGE_INTERVAL_MS = 60 * 60 * 1000;

@Injectable()
export class AuditService implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(AuditService.name);
  private purgeTimer: NodeJS.Timeout | undefined;
  private readonly insertEvent: (event: AuditEvent) => Promise<void>;

  constructor(
    @InjectRepository(AuditEvent) private readonly events: Repository<AuditEvent>,
    @Inject(auditConfig.KEY) private readonly config: ConfigType<typeof auditConfig>,
    statements: PreparedStatements,
  ) {
    this.insertEvent = statements.insertInto(AuditEvent);
  }

  onModuleInit(): void {
    this.purgeTimer = setInterval(() => {
      this.purgeExpired().catch((error: unknown) => {
        this.logger.warn(`Could not purge old audit events: ${String(error)}`);
      });
    }, PURGE_INTERVAL_MS);
    this.purgeTimer.unref();
  }

  onModuleDestroy(): void {
    clearInterval(this.purgeTimer);
  }

  /** Awaited by the publisher: an event that cannot be stored fails the request that caused it. */
  @OnEvent(SECURITY_EVENT, { async: true, promisify: true, suppressErrors: false })
  async record(event: SecurityEvent): Promise<void> {
    if (!isAudited(event)) {
      return;
    }
    await this.insertEvent({
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

  async list(query: ListAuditQuery): Promise<AuditEvent[]> {
    const builder = this.events
      .createQueryBuilder('event')
      .orderBy('event.at', 'DESC')
      .addOrderBy('event.id', 'DESC')
      .take(query.limit);
    if (query.userId) {
      builder.andWhere('event.userId = :userId', { userId: query.userId });
    }
    if (query.type) {
      builder.andWhere('event.type = :type', { type: query.type });
    }
    if (query.before) {
      const cursor = await this.events.findOneBy({ id: query.before });
      if (!cursor) {
        return [];
      }
      builder.andWhere('(event.at < :at OR (event.at = :at AND event.id < :id))', {
        at: cursor.at,
        id: cursor.id,
      });
    }
    return builder.getMany();
  }

  async purgeExpired(): Promise<number> {
    const cutoff = new Date(Date.now() - this.config.retentionDays * 86400 * 1000);
    const result = await this.events.delete({ at: LessThan(cutoff) });
    return result.affected ?? 0;
  }
}
