import { Inject, Injectable } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { InjectRepository } from '@nestjs/typeorm';
import { IsNull, Not, Repository } from 'typeorm';
import { authConfig } from '../config/auth.config';
import { Transactions } from '../database/transactions';
import { SecurityEvent } from '../events/security-event';
import { SecurityEvents } from '../events/security-events.service';
import { RefreshToken } from './entities/refresh-token.entity';
import { Session } from './entities/session.entity';
import { hashRefreshToken, newRefreshToken, sealFor, unsealWith } from './refresh-token.crypto';
import {
  IssuedRefresh,
  PlannedAccessToken,
  plannedAccess,
  refreshTokenRow,
  unlessDeletedMeanwhile,
} from './refresh-tokens';
import { isSessionLive, LIVE_SESSION_SQL } from './session-liveness';

export type Redemption =
  | ({ outcome: 'rotated' | 'replayed' } & IssuedRefresh)
  | { outcome: 'invalid' }
  | { outcome: 'reused'; session: Session };

/** What a redemption records, in the transaction of its change. */
export interface RedemptionEvents {
  refreshed(session: Session, replayed: boolean): SecurityEvent;
  reused(session: Session): SecurityEvent;
}

interface SealedSuccessor {
  refreshToken: string;
  access: PlannedAccessToken;
}

/** Refresh-token rotation with theft detection: each token is spent once. */
@Injectable()
export class RefreshRotationService {
  constructor(
    @Inject(authConfig.KEY) private readonly config: ConfigType<typeof authConfig>,
    @InjectRepository(Session) private readonly sessions: Repository<Session>,
    @InjectRepository(RefreshToken) private readonly tokens: Repository<RefreshToken>,
    private readonly transactions: Transactions,
    private readonly events: SecurityEvents,
  ) {}

  async findByRefreshToken(
    refreshToken: string,
  ): Promise<{ token: RefreshToken; session: Session } | null> {
    const token = await this.tokens.findOneBy({ tokenHash: hashRefreshToken(refreshToken) });
    const session = token ? await this.sessions.findOneBy({ id: token.sessionId }) : null;
    return token && session ? { token, session } : null;
  }

  /**
   * One conditional UPDATE (compare-and-set on `usedAt IS NULL`): of concurrent redemptions
   * exactly one wins, and its successor and event commit with it. A spent token presented again
   * is theft: the family is revoked, and that is recorded with it.
   */
  async redeem(refreshToken: string, events: RedemptionEvents): Promise<Redemption> {
    const now = new Date();
    const tokenHash = hashRefreshToken(refreshToken);
    const successor = newRefreshToken();
    const access = plannedAccess(now);
    const sealed =
      this.config.refreshReuseGrace > 0
        ? sealFor(refreshToken, { refreshToken: successor, access })
        : null;

    const rotated = await unlessDeletedMeanwhile(() =>
      this.transactions.run(async (manager) => {
        const won = await manager
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
        if (won.affected !== 1) {
          return null;
        }
        const spent = await manager.findOneByOrFail(RefreshToken, { tokenHash });
        const session = await manager.findOneByOrFail(Session, { id: spent.sessionId });
        await manager.update(Session, { id: session.id }, { lastUsedAt: now });
        const { row } = refreshTokenRow(session, now, this.config.refreshIdleTtl, successor);
        await manager.insert(RefreshToken, row);
        await this.events.publish(events.refreshed(session, false), manager);
        return { outcome: 'rotated' as const, session, refreshToken: successor, access };
      }),
    );
    if (rotated) {
      return rotated;
    }
    return this.refused(refreshToken, tokenHash, now, events);
  }

  /** The token lost the compare-and-set: unknown, expired, or spent (a replay, or theft). */
  private async refused(
    refreshToken: string,
    tokenHash: string,
    now: Date,
    events: RedemptionEvents,
  ): Promise<Redemption> {
    const spent = await this.tokens.findOneBy({ tokenHash });
    if (!spent || spent.usedAt === null || spent.expiresAt <= now) {
      return { outcome: 'invalid' };
    }
    const session = await this.sessions.findOneBy({ id: spent.sessionId });
    if (!session) {
      return { outcome: 'invalid' };
    }
    if (isSessionLive(session, now.getTime())) {
      const replay = await this.withinGrace(refreshToken, spent, now);
      if (replay) {
        await this.events.publish(events.refreshed(session, true));
        return { outcome: 'replayed', session, ...replay };
      }
    }
    // Spent: theft. The family ends (if it has not already) with the record of it.
    await this.transactions.run(async (manager) => {
      await manager.update(
        Session,
        { id: session.id, revokedAt: IsNull() },
        { revokedAt: new Date() },
      );
      await this.events.publish(events.reused(session), manager);
    });
    return { outcome: 'reused', session };
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
