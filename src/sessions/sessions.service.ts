import { Inject, Injectable, NotFoundException } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { InjectRepository } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import { EntityManager, IsNull, Not, Repository } from 'typeorm';
import { cursorPosition, pageOf } from '../common/keyset-cursor';
import { authConfig } from '../config/auth.config';
import { RequestContext } from '../common/request-context';
import { deleteInBatches } from '../database/batched-delete';
import { Transactions } from '../database/transactions';
import { Initiator, SecurityEvent } from '../events/security-event';
import { SecurityEvents } from '../events/security-events.service';
import { PreparedStatements } from '../platform/prepared-statements';
import { User } from '../users/entities/user.entity';
import { RefreshToken } from './entities/refresh-token.entity';
import { Session } from './entities/session.entity';
import {
  IssuedRefresh,
  plannedAccess,
  refreshTokenRow,
  unlessDeletedMeanwhile,
} from './refresh-tokens';
import { ListSessionsQuery } from './dto/list-sessions.query';
import { LIVE_SESSION_SQL } from './session-liveness';

export interface SessionPage {
  items: Session[];
  next: string | null;
}

/** Who ended a session: its owner, or an administrator through /users/{id}/sessions. */
export type EndedBy = 'owner' | 'admin';

export interface SessionStart {
  user: User;
  clientId: string | null;
  scope: string;
  /** RFC 8176 authentication methods of the login. */
  amr: readonly string[];
  context: RequestContext;
}

/** Sessions are refresh-token families: one per login. */
@Injectable()
export class SessionsService {
  private readonly insertSession: (session: Session, transaction: EntityManager) => Promise<void>;
  private readonly insertToken: (token: RefreshToken, transaction: EntityManager) => Promise<void>;

  constructor(
    @Inject(authConfig.KEY) private readonly config: ConfigType<typeof authConfig>,
    @InjectRepository(Session) private readonly sessions: Repository<Session>,
    private readonly events: SecurityEvents,
    private readonly transactions: Transactions,
    statements: PreparedStatements,
  ) {
    this.insertSession = statements.insertInto(Session);
    this.insertToken = statements.insertInto(RefreshToken);
  }

  /**
   * A login: a new family with its first refresh token, recorded by `event` in the same
   * transaction. Null when the account was deleted after its password was checked.
   */
  start(
    input: SessionStart,
    event: (session: Session) => SecurityEvent,
  ): Promise<IssuedRefresh | null> {
    return unlessDeletedMeanwhile(() =>
      this.transactions.run((manager) => this.startWithin(manager, input, event)),
    );
  }

  /** start(), inside the caller's transaction (whose foreign-key failures are the caller's). */
  async startWithin(
    manager: EntityManager,
    input: SessionStart,
    event: (session: Session) => SecurityEvent,
  ): Promise<IssuedRefresh> {
    const now = new Date();
    const session: Session = {
      id: randomUUID(),
      userId: input.user.id,
      clientId: input.clientId,
      scope: input.scope,
      tokenVersion: input.user.tokenVersion,
      amr: input.amr.join(' '),
      createdAt: now,
      lastUsedAt: now,
      expiresAt: new Date(now.getTime() + this.config.refreshTokenTtl * 1000),
      revokedAt: null,
      userAgent: input.context.userAgent,
      ip: input.context.ip,
    };
    const { row, token } = refreshTokenRow(session, now, this.config.refreshIdleTtl);
    await this.insertSession(session, manager);
    await this.insertToken(row, manager);
    await this.events.publish(event(session), manager);
    return { session, refreshToken: token, access: plannedAccess(now) };
  }

  /** Live sessions, newest login first, a page at a time (keyset on createdAt, id). */
  async listForUser(user: User, query: ListSessionsQuery): Promise<SessionPage> {
    const now = new Date();
    const builder = this.sessions
      .createQueryBuilder('session')
      .where('session.userId = :userId', { userId: user.id })
      .andWhere(`${LIVE_SESSION_SQL} AND "tokenVersion" = :version AND "lastUsedAt" > :idle`, {
        now,
        version: user.tokenVersion,
        idle: new Date(now.getTime() - this.config.refreshIdleTtl * 1000),
      })
      .orderBy('session.createdAt', 'DESC')
      .addOrderBy('session.id', 'DESC')
      .limit(query.limit + 1);
    if (query.after !== undefined) {
      const { at, id } = cursorPosition('sessions', query.after);
      builder.andWhere('("session"."createdAt", "session"."id") < (:at, :id)', { at, id });
    }
    const rows = await builder.getMany();
    return pageOf('sessions', rows, query.limit, (row) => ({ at: row.createdAt, id: row.id }));
  }

  /** For an administrator: 404 for an unknown user rather than an empty list. */
  async listForExistingUser(userId: string, query: ListSessionsQuery): Promise<SessionPage> {
    // UsersModule imports this module (a disable ends the sessions): the row is read here.
    const user = await this.sessions.manager.findOneBy(User, { id: userId });
    if (!user) {
      throw new NotFoundException('No user has that id');
    }
    return this.listForUser(user, query);
  }

  findById(sessionId: string): Promise<Session | null> {
    return this.sessions.findOneBy({ id: sessionId });
  }

  async revoke(sessionId: string, transaction?: EntityManager): Promise<void> {
    await (transaction ?? this.sessions.manager).update(
      Session,
      { id: sessionId, revokedAt: IsNull() },
      { revokedAt: new Date() },
    );
  }

  async endForUser(
    userId: string,
    sessionId: string,
    initiator: Initiator,
    endedBy: EndedBy = 'owner',
  ): Promise<void> {
    await this.transactions.run(async (manager) => {
      const result = await manager.update(
        Session,
        { id: sessionId, userId, revokedAt: IsNull() },
        { revokedAt: new Date() },
      );
      if (!result.affected) {
        throw new NotFoundException(
          endedBy === 'owner'
            ? 'No active session of yours has that id'
            : 'No active session of that user has that id',
        );
      }
      const detail = { tokenType: 'session', sessionId, endedBy };
      await this.publishEnded(userId, initiator, detail, manager);
    });
  }

  async endAllForUser(
    userId: string,
    initiator: Initiator,
    endedBy: EndedBy = 'owner',
  ): Promise<void> {
    await this.transactions.run(async (manager) => {
      if (endedBy === 'admin' && !(await manager.existsBy(User, { id: userId }))) {
        throw new NotFoundException('No user has that id');
      }
      await this.revokeAllForUser(userId, manager);
      await this.publishEnded(userId, initiator, { tokenType: 'all_sessions', endedBy }, manager);
    });
  }

  async revokeAllForUser(userId: string, transaction?: EntityManager): Promise<void> {
    await (transaction ?? this.sessions.manager).update(
      Session,
      { userId, revokedAt: IsNull() },
      { revokedAt: new Date() },
    );
  }

  /** Every session of the user but `keepSessionId` (the caller's own, when it has one). */
  async revokeOthersForUser(
    userId: string,
    keepSessionId: string | undefined,
    transaction: EntityManager,
  ): Promise<void> {
    if (keepSessionId === undefined) {
      await this.revokeAllForUser(userId, transaction);
      return;
    }
    await transaction.update(
      Session,
      { userId, revokedAt: IsNull(), id: Not(keepSessionId) },
      { revokedAt: new Date() },
    );
  }

  async revokeAllForClient(clientId: string, transaction?: EntityManager): Promise<void> {
    await (transaction ?? this.sessions.manager).update(
      Session,
      { clientId, revokedAt: IsNull() },
      { revokedAt: new Date() },
    );
  }

  /**
   * Ended sessions (revoked, past their end, idle too long) and expired refresh tokens, once
   * `graceMs` has passed: a replayed token is still recognised as theft meanwhile.
   */
  async purge(now: number, graceMs: number): Promise<number> {
    const dataSource = this.sessions.manager.connection;
    const cutoff = new Date(now - graceMs);
    const idle = new Date(now - graceMs - this.config.refreshIdleTtl * 1000);
    const sessions = await deleteInBatches(
      dataSource,
      Session,
      '"revokedAt" < :cutoff OR "expiresAt" < :cutoff OR "lastUsedAt" < :idle',
      { cutoff, idle },
    );
    const tokens = await deleteInBatches(dataSource, RefreshToken, '"expiresAt" < :cutoff', {
      cutoff,
    });
    return sessions + tokens;
  }

  private publishEnded(
    userId: string,
    { context, actorId }: Initiator,
    detail: { tokenType: string; sessionId?: string; endedBy: EndedBy },
    manager: EntityManager,
  ): Promise<void> {
    return this.events.publish(
      { type: 'token_revoked', userId, context, detail: { ...detail, actorId: actorId ?? null } },
      manager,
    );
  }
}
