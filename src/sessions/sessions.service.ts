import { Inject, Injectable, NotFoundException } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { InjectRepository } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import { IsNull, MoreThan, Not, Repository } from 'typeorm';
import { authConfig } from '../config/auth.config';
import { User } from '../users/entities/user.entity';
import { RequestContext } from '../common/request-context';
import { isForeignKeyViolation } from '../database/constraint-violations';
import { deleteInBatches } from '../database/batched-delete';
import { Initiator } from '../events/security-event';
import { SecurityEvents } from '../events/security-events.service';
import { PreparedStatements } from '../platform/prepared-statements';
import { RefreshToken } from './entities/refresh-token.entity';
import { Session } from './entities/session.entity';
import { hashRefreshToken, newRefreshToken, sealFor, unsealWith } from './refresh-token.crypto';
import { LIVE_SESSION_SQL, liveSessionWhere } from './session-liveness';

/** Fixed beside the refresh token, so that a grace replay can repeat it. */
export interface PlannedAccessToken {
  jti: string;
  iat: number;
}

export interface IssuedRefresh {
  session: Session;
  refreshToken: string;
  access: PlannedAccessToken;
}

export type Redemption =
  | ({ outcome: 'rotated' | 'replayed' } & IssuedRefresh)
  | { outcome: 'invalid' }
  | { outcome: 'reused'; session: Session };

interface SealedSuccessor {
  refreshToken: string;
  access: PlannedAccessToken;
}

const plannedAccess = (now: Date): PlannedAccessToken => ({
  jti: randomUUID(),
  iat: Math.floor(now.getTime() / 1000),
});

/** Null when `write` referred to a row deleted meanwhile (an account). */
async function unlessDeletedMeanwhile<T>(write: () => Promise<T | null>): Promise<T | null> {
  try {
    return await write();
  } catch (error) {
    if (isForeignKeyViolation(error)) {
      return null;
    }
    throw error;
  }
}

// Single-statement writes: TypeORM's SQLite driver shares one connection (see exclusively.ts).
@Injectable()
export class SessionsService {
  private readonly insertSession: (session: Session) => Promise<void>;
  private readonly insertToken: (token: RefreshToken) => Promise<void>;

  constructor(
    @Inject(authConfig.KEY) private readonly config: ConfigType<typeof authConfig>,
    @InjectRepository(Session) private readonly sessions: Repository<Session>,
    @InjectRepository(RefreshToken) private readonly tokens: Repository<RefreshToken>,
    private readonly events: SecurityEvents,
    statements: PreparedStatements,
  ) {
    this.insertSession = statements.insertInto(Session);
    this.insertToken = statements.insertInto(RefreshToken);
  }

  /** Null when the account was deleted after its password was checked. */
  async start(input: {
    user: User;
    clientId: string | null;
    scope: string;
    context: RequestContext;
  }): Promise<IssuedRefresh | null> {
    const now = new Date();
    const session: Session = {
      id: randomUUID(),
      userId: input.user.id,
      clientId: input.clientId,
      scope: input.scope,
      tokenVersion: input.user.tokenVersion,
      createdAt: now,
      lastUsedAt: now,
      expiresAt: new Date(now.getTime() + this.config.refreshTokenTtl * 1000),
      revokedAt: null,
      userAgent: input.context.userAgent,
      ip: input.context.ip,
    };
    return unlessDeletedMeanwhile(async () => {
      await this.insertSession(session);
      const refreshToken = await this.addToken(session, now);
      return { session, refreshToken, access: plannedAccess(now) };
    });
  }

  // One conditional UPDATE (compare-and-set on `usedAt IS NULL`): of concurrent redemptions exactly
  // one wins. A spent token presented again is theft: the family is revoked.
  async redeem(refreshToken: string): Promise<Redemption> {
    const now = new Date();
    const tokenHash = hashRefreshToken(refreshToken);
    const successor = newRefreshToken();
    const access = plannedAccess(now);
    const sealed =
      this.config.refreshReuseGrace > 0
        ? sealFor(refreshToken, { refreshToken: successor, access })
        : null;

    const won = await this.tokens
      .createQueryBuilder()
      .update(RefreshToken)
      .set({ usedAt: now, successorSealed: sealed })
      // Quoted: PostgreSQL folds unquoted identifiers to lower case; SQLite accepts either.
      .where('"tokenHash" = :tokenHash AND "usedAt" IS NULL AND "expiresAt" > :now', {
        tokenHash,
        now,
      })
      .andWhere(`"sessionId" IN (SELECT "id" FROM "sessions" WHERE ${LIVE_SESSION_SQL})`)
      .execute();

    const spent = await this.tokens.findOneBy({ tokenHash });
    if (!spent) {
      return { outcome: 'invalid' };
    }
    if (won.affected === 1) {
      // A revoke racing us after the UPDATE still kills what we issue: both tokens belong to the
      // revoked family. A deleted account takes the family with it: nothing to issue.
      const rotated = await unlessDeletedMeanwhile(async () => {
        const session = await this.sessions.findOneBy({ id: spent.sessionId });
        if (!session) {
          return null;
        }
        await this.sessions.update({ id: session.id }, { lastUsedAt: now });
        await this.addToken(session, now, successor);
        return { outcome: 'rotated' as const, session, refreshToken: successor, access };
      });
      return rotated ?? { outcome: 'invalid' };
    }
    if (spent.usedAt === null || spent.expiresAt <= now) {
      return { outcome: 'invalid' };
    }
    const session = await this.liveSession(spent.sessionId, now);
    if (!session) {
      // Spent, in a family already ended: still a replay to answer as theft, nothing to revoke.
      const ended = await this.sessions.findOneBy({ id: spent.sessionId });
      return ended ? { outcome: 'reused', session: ended } : { outcome: 'invalid' };
    }
    const replay = await this.withinGrace(refreshToken, spent, now);
    if (replay) {
      return { outcome: 'replayed', session, ...replay };
    }
    await this.revoke(session.id);
    return { outcome: 'reused', session };
  }

  listForUser(user: User): Promise<Session[]> {
    const now = new Date();
    return this.sessions.find({
      where: {
        ...liveSessionWhere(now),
        userId: user.id,
        tokenVersion: user.tokenVersion,
        lastUsedAt: MoreThan(new Date(now.getTime() - this.config.refreshIdleTtl * 1000)),
      },
      order: { lastUsedAt: 'DESC', id: 'ASC' },
    });
  }

  async findByRefreshToken(
    refreshToken: string,
  ): Promise<{ token: RefreshToken; session: Session } | null> {
    const token = await this.tokens.findOneBy({ tokenHash: hashRefreshToken(refreshToken) });
    const session = token ? await this.sessions.findOneBy({ id: token.sessionId }) : null;
    return token && session ? { token, session } : null;
  }

  findById(sessionId: string): Promise<Session | null> {
    return this.sessions.findOneBy({ id: sessionId });
  }

  async revoke(sessionId: string): Promise<void> {
    await this.sessions.update({ id: sessionId, revokedAt: IsNull() }, { revokedAt: new Date() });
  }

  async endForUser(userId: string, sessionId: string, initiator: Initiator): Promise<void> {
    const result = await this.sessions.update(
      { id: sessionId, userId, revokedAt: IsNull() },
      { revokedAt: new Date() },
    );
    if (!result.affected) {
      throw new NotFoundException('No active session of yours has that id');
    }
    await this.publishEnded(userId, initiator, { tokenType: 'session', sessionId });
  }

  async endAllForUser(userId: string, initiator: Initiator): Promise<void> {
    await this.revokeAllForUser(userId);
    await this.publishEnded(userId, initiator, { tokenType: 'all_sessions' });
  }

  async revokeAllForUser(userId: string): Promise<void> {
    await this.sessions.update({ userId, revokedAt: IsNull() }, { revokedAt: new Date() });
  }

  async revokeAllForClient(clientId: string): Promise<void> {
    await this.sessions.update({ clientId, revokedAt: IsNull() }, { revokedAt: new Date() });
  }

  private liveSession(id: string, now: Date): Promise<Session | null> {
    return this.sessions.findOneBy({ id, ...liveSessionWhere(now) });
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
    { context }: Initiator,
    detail: { tokenType: string; sessionId?: string },
  ): Promise<void> {
    return this.events.publish({ type: 'token_revoked', userId, context, detail });
  }

  private async addToken(session: Session, now: Date, token = newRefreshToken()): Promise<string> {
    const idleEnd = now.getTime() + this.config.refreshIdleTtl * 1000;
    await this.insertToken({
      tokenHash: hashRefreshToken(token),
      sessionId: session.id,
      createdAt: now,
      expiresAt: new Date(Math.min(idleEnd, session.expiresAt.getTime())),
      usedAt: null,
      successorSealed: null,
    });
    return token;
  }

  // REFRESH_REUSE_GRACE: a client that lost its refresh response gets the same unused successor.
  private async withinGrace(
    refreshToken: string,
    spent: RefreshToken,
    now: Date,
  ): Promise<SealedSuccessor | undefined> {
    const graceMs = this.config.refreshReuseGrace * 1000;
    if (
      !spent.usedAt ||
      !spent.successorSealed ||
      now.getTime() - spent.usedAt.getTime() > graceMs
    ) {
      return undefined;
    }
    const successor = unsealWith<SealedSuccessor>(refreshToken, spent.successorSealed);
    if (!successor) {
      return undefined;
    }
    // Not yet stored counts as unused: a replay can overtake the winner's insert of it.
    const used = await this.tokens.existsBy({
      tokenHash: hashRefreshToken(successor.refreshToken),
      usedAt: Not(IsNull()),
    });
    return used ? undefined : successor;
  }
}
