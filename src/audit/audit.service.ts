import { BadRequestException, Inject, Injectable } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { OnEvent } from '@nestjs/event-emitter';
import { InjectRepository } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import { EntityManager, Repository } from 'typeorm';
import { cursorPosition, KeysetPosition, pageOf } from '../common/keyset-cursor';
import { deleteInBatches } from '../database/batched-delete';
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

// Control characters and bidi overrides in a string a caller chose (a user agent) could forge
// lines or reorder text for whoever reads the log.
const UNPRINTABLE = /[\p{Cc}\p{Cf}]/gu;

function printable<T>(value: T): T | string {
  return typeof value === 'string' ? value.replace(UNPRINTABLE, '') : value;
}

@Injectable()
export class AuditService {
  private readonly insertEvent: (event: AuditEvent, transaction?: EntityManager) => Promise<void>;

  constructor(
    @InjectRepository(AuditEvent) private readonly events: Repository<AuditEvent>,
    @Inject(auditConfig.KEY) private readonly config: ConfigType<typeof auditConfig>,
    statements: PreparedStatements,
  ) {
    this.insertEvent = statements.insertInto(AuditEvent);
  }

  /** Awaited by the publisher: an event that cannot be stored fails the request that caused it. */
  @OnEvent(SECURITY_EVENT, { async: true, promisify: true, suppressErrors: false })
  async record(event: SecurityEvent, transaction?: EntityManager): Promise<void> {
    if (!isAudited(event)) {
      return;
    }
    await this.insertEvent(
      {
        id: randomUUID(),
        type: event.type,
        userId: event.userId ?? null,
        clientId: event.clientId ?? null,
        ip: event.context?.ip ?? null,
        userAgent: printable(event.context?.userAgent ?? null),
        at: new Date(),
        detail: Object.fromEntries(
          Object.entries(event.detail ?? {}).map(([name, value]) => [name, printable(value)]),
        ),
      },
      transaction,
    );
  }

  /** Newest first; the next page continues past the last event (keyset, never an offset). */
  async list(query: ListAuditQuery): Promise<{ items: AuditEvent[]; next: string | null }> {
    if (query.after !== undefined && query.before !== undefined) {
      throw new BadRequestException('Page with either after or before, not both');
    }
    const builder = this.events
      .createQueryBuilder('event')
      .orderBy('event.at', 'DESC')
      .addOrderBy('event.id', 'DESC')
      .limit(query.limit + 1);
    if (query.userId) {
      builder.andWhere('event.userId = :userId', { userId: query.userId });
    }
    if (query.type) {
      builder.andWhere('event.type = :type', { type: query.type });
    }
    const position = await this.positionOf(query);
    if (position === null) {
      return { items: [], next: null };
    }
    if (position) {
      builder.andWhere('("event"."at", "event"."id") < (:at, :id)', {
        at: position.at,
        id: position.id,
      });
    }
    const rows = await builder.getMany();
    return pageOf('audit', rows, query.limit, (event) => ({ at: event.at, id: event.id }));
  }

  /** Null when `before` names an event no longer stored (purged): nothing older is known. */
  private async positionOf(query: ListAuditQuery): Promise<KeysetPosition | null | undefined> {
    if (query.after !== undefined) {
      return cursorPosition('audit', query.after);
    }
    if (query.before === undefined) {
      return undefined;
    }
    return this.events.findOneBy({ id: query.before });
  }

  /** Events older than AUDIT_RETENTION_DAYS. */
  purgeExpired(now: number): Promise<number> {
    const cutoff = new Date(now - this.config.retentionDays * 86400 * 1000);
    return deleteInBatches(this.events.manager.connection, AuditEvent, '"at" < :cutoff', {
      cutoff,
    });
  }
}
