import { Injectable, Logger, ServiceUnavailableException } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { RequestContext } from '../common/request-context';
import { UnsealableSecretError } from '../common/secret-sealing';
import { Transactions } from '../database/transactions';
import { SecurityEvents } from '../events/security-events.service';
import { unlessDeletedMeanwhile } from '../sessions/refresh-tokens';
import { SecondFactorThrottle } from '../throttling/second-factor-throttle.service';
import { TotpFactor } from './entities/totp-factor.entity';
import {
  hashRecoveryCode,
  normalizeRecoveryCode,
  remainingRecoveryCodes,
  spendRecoveryCode,
} from './recovery-codes';
import { acceptedStep } from './totp';
import { TotpClock } from './totp-clock';
import { FactorState, TotpFactors } from './totp-factors.service';

/** RFC 8176 method a code proves: `otp` for a TOTP code, `mfa` for a recovery code. */
export type SecondFactorMethod = 'otp' | 'mfa';

/** What the caller sent: a TOTP code, a recovery code, or either (told apart by their form). */
export interface PresentedCode {
  kind: 'otp' | 'recovery' | 'either';
  value: string;
}

export interface CodeProof<T> {
  userId: string;
  code: PresentedCode;
  context: RequestContext;
  /** Recorded with a failure: which route's code was wrong. */
  purpose: 'login' | 'confirm' | 'disable' | 'recovery_codes';
  /** A pending factor is confirmed by its first code; only a TOTP code can. */
  factor?: FactorState;
  wrong: () => Error;
  /** Within the limits, before the code is looked at (the grant takes an attempt of its token). */
  before?: () => Promise<void>;
  /** The change the code allows, in the transaction that spends it: a throw leaves it unspent. */
  then: (manager: EntityManager, method: SecondFactorMethod) => Promise<T>;
}

type Checked =
  { method: 'otp'; factor: TotpFactor; step: number } | { method: 'mfa'; codeHash: string };

/** Every second-factor code goes through here: throttled, checked, spent once, audited. */
@Injectable()
export class MfaCodes {
  private readonly logger = new Logger(MfaCodes.name);

  constructor(
    private readonly totp: TotpFactors,
    private readonly throttle: SecondFactorThrottle,
    private readonly transactions: Transactions,
    private readonly events: SecurityEvents,
    private readonly clock: TotpClock,
  ) {}

  prove<T>(proof: CodeProof<T>): Promise<T> {
    const { userId, context } = proof;
    return this.throttle.attempt(userId, context, async () => {
      await proof.before?.();
      const checked = await this.check(proof);
      const outcome =
        checked &&
        (await unlessDeletedMeanwhile(() =>
          this.transactions.run(async (manager) => {
            if (!(await this.spend(manager, userId, checked, proof.factor ?? 'confirmed'))) {
              return null;
            }
            if (checked.method === 'mfa') {
              const remaining = await remainingRecoveryCodes(manager, userId);
              await this.events.publish(
                { type: 'recovery_code_used', userId, context, detail: { remaining } },
                manager,
              );
            }
            return { value: await proof.then(manager, checked.method) };
          }),
        ));
      if (!outcome) {
        await this.events.publish({
          type: 'mfa_challenge_failed',
          userId,
          context,
          detail: { outcome: 'failure', reason: 'code', purpose: proof.purpose },
        });
        throw proof.wrong();
      }
      return outcome.value;
    });
  }

  private async check({ userId, code, factor = 'confirmed' }: CodeProof<unknown>) {
    const recovery =
      code.kind === 'recovery' || (code.kind === 'either' && !/^\d+$/.test(code.value));
    if (!recovery) {
      const stored = await this.totp.find(userId, factor);
      const step = stored && acceptedStep(this.secretOf(stored), code.value, this.clock.now());
      return stored && step !== null ? ({ method: 'otp', factor: stored, step } as const) : null;
    }
    const normalized = factor === 'confirmed' ? normalizeRecoveryCode(code.value) : undefined;
    return normalized
      ? ({ method: 'mfa', codeHash: hashRecoveryCode(userId, normalized) } as const)
      : null;
  }

  private spend(
    manager: EntityManager,
    userId: string,
    checked: Checked,
    state: FactorState,
  ): Promise<boolean> {
    return checked.method === 'otp'
      ? this.totp.spendStep(manager, checked.factor, checked.step, state)
      : spendRecoveryCode(manager, userId, checked.codeHash);
  }

  private secretOf(factor: TotpFactor): string {
    try {
      return this.totp.secretOf(factor);
    } catch (error) {
      if (!(error instanceof UnsealableSecretError)) {
        throw error;
      }
      this.logger.error(error.message);
      throw new ServiceUnavailableException('The second factor cannot be checked at the moment');
    }
  }
}
