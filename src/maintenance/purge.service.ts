import { Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { SchedulerRegistry } from '@nestjs/schedule';
import { AuditService } from '../audit/audit.service';
import { ClientsService } from '../clients/clients.service';
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
  | 'mail'
  | 'clientSecrets',
  number
>;

export type PurgeProgress = (step: {
  name: keyof PurgeReport;
  deleted: number;
  done: number;
  total: number;
}) => void;

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
    private readonly clients: ClientsService,
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

  /** `progress` hears of each table as it is done (the CLI's progress bar). */
  async purge(now = Date.now(), progress?: PurgeProgress): Promise<PurgeReport> {
    const steps: [keyof PurgeReport, () => Promise<number>][] = [
      ['sessions', () => this.sessions.purge(now, SESSION_GRACE_MS)],
      ['denylist', () => this.denylist.purgeExpired(now)],
      ['throttleCounters', () => this.throttle.purgeExpired(now)],
      ['audit', () => this.audit.purgeExpired(now)],
      ['personalAccessTokens', () => this.personalAccessTokens.purge(now)],
      ['mfaChallenges', () => this.mfaChallenges.purgeExpired(now)],
      ['pendingTotp', () => this.totpFactors.purgePending(now)],
      ['accountTokens', () => this.accountTokens.purgeExpired(now)],
      ['mail', () => this.outbox.purgeFinished(now)],
      ['clientSecrets', () => this.clients.purgeExpiredPreviousSecrets(now)],
    ];
    const report = {} as PurgeReport;
    for (const [index, [name, purge]] of steps.entries()) {
      report[name] = await purge();
      progress?.({ name, deleted: report[name], done: index + 1, total: steps.length });
    }
    return report;
  }
}
