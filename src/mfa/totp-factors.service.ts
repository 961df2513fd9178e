import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { EntityManager, IsNull, Like, MoreThan, Not, Repository } from 'typeorm';
import { deleteInBatches } from '../database/batched-delete';
import { TotpFactor } from './entities/totp-factor.entity';
import { TotpSecretSealing } from './totp-secret-sealing';

/** An enrolment not confirmed within this long is forgotten: the user starts again. */
export const PENDING_ENROLMENT_MS = 3600_000;
const RESEAL_BATCH = 500;

export type FactorState = 'pending' | 'confirmed';

/** The TOTP factors: each user's secret, sealed at rest, and the last time step it accepted. */
@Injectable()
export class TotpFactors implements OnApplicationBootstrap {
  private readonly logger = new Logger(TotpFactors.name);

  constructor(
    @InjectRepository(TotpFactor) private readonly factors: Repository<TotpFactor>,
    private readonly sealing: TotpSecretSealing,
  ) {}

  /** A new pending secret, in place of any pending one; false when a confirmed factor exists. */
  async startEnrolment(manager: EntityManager, userId: string, secret: string): Promise<boolean> {
    await manager.delete(TotpFactor, { userId, confirmedAt: IsNull() });
    if (await manager.existsBy(TotpFactor, { userId })) {
      return false;
    }
    await manager.insert(TotpFactor, {
      userId,
      secretSealed: this.sealing.seal(userId, secret),
      confirmedAt: null,
      lastUsedStep: null,
      createdAt: new Date(),
    });
    return true;
  }

  find(userId: string, state: FactorState): Promise<TotpFactor | null> {
    return this.factors.findOneBy(
      state === 'confirmed'
        ? { userId, confirmedAt: Not(IsNull()) }
        : {
            userId,
            confirmedAt: IsNull(),
            createdAt: MoreThan(new Date(Date.now() - PENDING_ENROLMENT_MS)),
          },
    );
  }

  secretOf(factor: TotpFactor): string {
    return this.sealing.open(factor.userId, factor.secretSealed);
  }

  /**
   * Compare-and-set: records `step` as used only past the last one, and only on the very secret
   * the code was checked against (not one replaced meanwhile), so of two requests with one code
   * exactly one wins. A pending factor is confirmed by it.
   */
  async spendStep(
    manager: EntityManager,
    factor: TotpFactor,
    step: number,
    state: FactorState,
  ): Promise<boolean> {
    const { affected } = await manager
      .createQueryBuilder()
      .update(TotpFactor)
      .set(
        state === 'pending'
          ? { lastUsedStep: step, confirmedAt: new Date() }
          : { lastUsedStep: step },
      )
      .where('"userId" = :userId AND "secretSealed" = :sealed', {
        userId: factor.userId,
        sealed: factor.secretSealed,
      })
      .andWhere(state === 'pending' ? '"confirmedAt" IS NULL' : '"confirmedAt" IS NOT NULL')
      .andWhere('("lastUsedStep" IS NULL OR "lastUsedStep" < :step)', { step })
      .execute();
    return affected === 1;
  }

  async remove(manager: EntityManager, userId: string): Promise<boolean> {
    const { affected } = await manager.delete(TotpFactor, { userId });
    return (affected ?? 0) > 0;
  }

  purgePending(now: number): Promise<number> {
    return deleteInBatches(
      this.factors.manager.connection,
      TotpFactor,
      '"confirmedAt" IS NULL AND "createdAt" < :cutoff',
      { cutoff: new Date(now - PENDING_ENROLMENT_MS) },
    );
  }

  /** As for signing keys: each start seals the secrets again with the first KEY_ENCRYPTION_KEY. */
  async onApplicationBootstrap(): Promise<void> {
    const current = this.sealing.currentPrefix();
    if (!current) {
      return;
    }
    let sealed = 0;
    let after = '';
    for (;;) {
      const rows = await this.factors.find({
        where: { userId: MoreThan(after), secretSealed: Not(Like(`${current}%`)) },
        order: { userId: 'ASC' },
        take: RESEAL_BATCH,
      });
      for (const row of rows) {
        sealed += await this.reseal(row);
      }
      if (rows.length < RESEAL_BATCH) {
        break;
      }
      after = rows[rows.length - 1].userId;
    }
    if (sealed > 0) {
      this.logger.log(`Encrypted ${sealed} TOTP secrets with the first KEY_ENCRYPTION_KEY`);
    }
  }

  private async reseal({ userId, secretSealed: stored }: TotpFactor): Promise<number> {
    if (this.sealing.isCurrent(stored)) {
      return 0;
    }
    let secret: string;
    try {
      secret = this.sealing.open(userId, stored);
    } catch (error) {
      // That user's codes fail (503) until the secret that sealed it is listed again.
      this.logger.warn(error instanceof Error ? error.message : String(error));
      return 0;
    }
    // Only if unchanged: another instance starting alongside may have sealed it first.
    const { affected } = await this.factors.update(
      { userId, secretSealed: stored },
      { secretSealed: this.sealing.seal(userId, secret) },
    );
    return affected ?? 0;
  }
}
