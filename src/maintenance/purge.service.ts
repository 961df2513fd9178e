import { Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { SchedulerRegistry } from '@nestjs/schedule';
import { AuditService } from '../audit/audit.service';
import { MfaChallenges } from '../mfa/mfa-challenges.service';
import { TotpFactors } from '../mfa/totp-factors.service';
import { operationsConfig } from '../config/operations.config';
import { PersonalAccessTokensService } from '../personal-access-tokens/personal-access-tokens.service';
import { Outbox } from '../mail/outbox.service';
import { AccountTokens } from '../recovery/account-tokens.service';
import { SessionsService } from '../sessions/sessions.service';
import { ThrottleStore } from '../throttling/throttle-store';
import { AccessTokenDenylist } from '../tokens/access-token-denylist';
import { ScheduledRuns } from './scheduled-runs';

/** Ended sessions and expired refresh tokens are kept this long: a replay is still recognised. */
export const SESSION_GRACE_MS = 24 * 3600_000;

export type PurgeReport = Record<
  | 'sessions'
  | 'denylist'
  | 'throttleCounters'
  | 'audit'
  | 'personalAccessTokens'
  | 'mfaChallenges'
  | 'pendingTotp'
  | 'accountTokens'
  | 'mail',
  number
>;

/**
 * Every expiring row goes on a schedule that each instance keeps and one instance runs
 * (ScheduledRuns), in batches (deleteInBatches) that never hold a hot table long.
 */
@Injectable()
export class PurgeService implements OnApplicationBootstrap {
  private readonly logger = new Logger(PurgeService.name);

  constructor(
    private readonly runs: ScheduledRuns,
    private readonly scheduler: SchedulerRegistry,
    private readonly sessions: SessionsService,
    private readonly denylist: AccessTokenDenylist,
    private readonly throttle: ThrottleStore,
    private readonly audit: AuditService,
    private readonly personalAccessTokens: PersonalAccessTokensService,
    private readonly mfaChallenges: MfaChallenges,
    private readonly totpFactors: TotpFactors,
    private readonly accountTokens: AccountTokens,
    private readonly outbox: Outbox,
    @Inject(operationsConfig.KEY) private readonly config: ConfigType<typeof operationsConfig>,
  ) {}

  onApplicationBootstrap(): void {
    const { purgeIntervalMs } = this.config;
    const timer = setInterval(() => void this.tick(), purgeIntervalMs);
    timer.unref();
    this.scheduler.addInterval('purge', timer);
  }

  /** The scheduled run: nothing when another instance has had this one. */
  async tick(now = Date.now()): Promise<PurgeReport | undefined> {
    try {
      if (!(await this.runs.claim('purge', this.config.purgeIntervalMs, now))) {
        return undefined;
      }
      const report = await this.purge(now);
      this.logger.log(`Purged ${JSON.stringify(report)}`);
      return report;
    } catch (error) {
      this.logger.warn(`Purge failed, to be tried at the next run: ${String(error)}`);
      return undefined;
    }
  }

  async purge(now = Date.now()): Promise<PurgeReport> {
    return {
      sessions: await this.sessions.purge(now, SESSION_GRACE_MS),
      denylist: await this.denylist.purgeExpired(now),
      throttleCounters: await this.throttle.purgeExpired(now),
      audit: await this.audit.purgeExpired(now),
      personalAccessTokens: await this.personalAccessTokens.purge(now),
      mfaChallenges: await this.mfaChallenges.purgeExpired(now),
      pendingTotp: await this.totpFactors.purgePending(now),
      accountTokens: await this.accountTokens.purgeExpired(now),
      mail: await this.outbox.purgeFinished(now),
    };
  }
}
