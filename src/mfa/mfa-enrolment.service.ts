import {
  BadRequestException,
  ConflictException,
  Inject,
  Injectable,
  NotFoundException,
} from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { toDataURL } from 'qrcode';
import { EntityManager } from 'typeorm';
import { AuthenticatedUser } from '../auth/authenticated-user';
import { RequestContext } from '../common/request-context';
import { appConfig } from '../config/app.config';
import { isUniqueViolation } from '../database/constraint-violations';
import { Transactions } from '../database/transactions';
import { Initiator } from '../events/security-event';
import { SecurityEvents } from '../events/security-events.service';
import { SessionsService } from '../sessions/sessions.service';
import { CredentialsService } from '../users/credentials.service';
import { UsersService } from '../users/users.service';
import { MfaChallenges } from './mfa-challenges.service';
import { MfaCodes } from './mfa-codes.service';
import { removeRecoveryCodes, replaceRecoveryCodes } from './recovery-codes';
import { newTotpSecret, otpauthUri } from './totp';
import { TotpFactors } from './totp-factors.service';

export interface Enrolment {
  secret: string;
  otpauthUri: string;
  qrCode: string;
}

const wrongCode = () => new BadRequestException('The code is incorrect');
const alreadyEnabled = () => new ConflictException('A second factor is already enabled');
const notEnabled = () => new ConflictException('No second factor is enabled');
const noFactor = () => new NotFoundException('This user has no second factor');

/**
 * The caller's TOTP factor and recovery codes. Enabling or disabling it ends the user's other
 * sessions (logged in with what no longer holds); the caller's own stays.
 */
@Injectable()
export class MfaEnrolment {
  private readonly issuer: string;

  constructor(
    private readonly totp: TotpFactors,
    private readonly codes: MfaCodes,
    private readonly challenges: MfaChallenges,
    private readonly credentials: CredentialsService,
    private readonly users: UsersService,
    private readonly sessions: SessionsService,
    private readonly transactions: Transactions,
    private readonly events: SecurityEvents,
    @Inject(appConfig.KEY) app: ConfigType<typeof appConfig>,
  ) {
    this.issuer = new URL(app.issuer).host;
  }

  /** A new secret, pending until a code confirms it; the only time the secret leaves. */
  async enrol(
    caller: AuthenticatedUser,
    currentPassword: string,
    context: RequestContext,
  ): Promise<Enrolment> {
    if (caller.account.mfaEnabled) {
      throw alreadyEnabled();
    }
    await this.verifyPassword(caller, currentPassword, context, 'enrol');
    const secret = newTotpSecret();
    const started = await this.transactions
      .run((manager) => this.totp.startEnrolment(manager, caller.id, secret))
      .catch((error: unknown) => {
        // Another enrolment of this user inserted its row between our delete and insert.
        if (isUniqueViolation(error)) {
          throw new ConflictException('Another enrolment started at the same moment; start again');
        }
        throw error;
      });
    if (!started) {
      throw alreadyEnabled();
    }
    const uri = otpauthUri(secret, caller.username, this.issuer);
    return { secret, otpauthUri: uri, qrCode: await toDataURL(uri) };
  }

  async confirm(
    caller: AuthenticatedUser,
    code: string,
    context: RequestContext,
  ): Promise<string[]> {
    if (!(await this.totp.find(caller.id, 'pending'))) {
      throw new ConflictException('No enrolment is pending; start one first');
    }
    return this.codes.prove({
      userId: caller.id,
      code: { kind: 'otp', value: code },
      context,
      purpose: 'confirm',
      factor: 'pending',
      wrong: wrongCode,
      then: async (manager) => {
        await this.users.setMfaEnabled(caller.id, true, manager);
        await this.sessions.revokeOthersForUser(caller.id, caller.sessionId, manager);
        const recoveryCodes = await replaceRecoveryCodes(manager, caller.id);
        await this.events.publish({ type: 'mfa_enabled', userId: caller.id, context }, manager);
        return recoveryCodes;
      },
    });
  }

  async disable(
    caller: AuthenticatedUser,
    currentPassword: string,
    code: string,
    context: RequestContext,
  ): Promise<void> {
    if (!caller.account.mfaEnabled) {
      throw notEnabled();
    }
    await this.verifyPassword(caller, currentPassword, context, 'disable');
    await this.codes.prove({
      userId: caller.id,
      code: { kind: 'either', value: code },
      context,
      purpose: 'disable',
      wrong: wrongCode,
      then: async (manager) => {
        await this.removeFactor(manager, caller.id);
        await this.sessions.revokeOthersForUser(caller.id, caller.sessionId, manager);
        await this.events.publish({ type: 'mfa_disabled', userId: caller.id, context }, manager);
      },
    });
  }

  async regenerateRecoveryCodes(
    caller: AuthenticatedUser,
    code: string,
    context: RequestContext,
  ): Promise<string[]> {
    if (!caller.account.mfaEnabled) {
      throw notEnabled();
    }
    return this.codes.prove({
      userId: caller.id,
      code: { kind: 'either', value: code },
      context,
      purpose: 'recovery_codes',
      wrong: wrongCode,
      then: async (manager) => {
        const recoveryCodes = await replaceRecoveryCodes(manager, caller.id);
        await this.events.publish(
          { type: 'recovery_codes_regenerated', userId: caller.id, context },
          manager,
        );
        return recoveryCodes;
      },
    });
  }

  /** A lost device: the factor goes, and so does every session of the user. */
  async resetByAdmin(userId: string, initiator: Initiator): Promise<void> {
    const user = await this.users.getById(userId);
    // A pending enrolment is no factor: nothing to reset, nobody to notify.
    if (!user.mfaEnabled) {
      throw noFactor();
    }
    await this.transactions.run(async (manager) => {
      if (!(await this.removeFactor(manager, userId))) {
        throw noFactor();
      }
      await this.sessions.revokeAllForUser(userId, manager);
      await this.events.publish(
        {
          type: 'mfa_reset_by_admin',
          userId,
          context: initiator.context,
          detail: { actorId: initiator.actorId ?? null },
        },
        manager,
      );
    });
  }

  private verifyPassword(
    caller: AuthenticatedUser,
    password: string,
    context: RequestContext,
    purpose: 'enrol' | 'disable',
  ): Promise<void> {
    return this.credentials.verifyCurrentPassword(caller.account, password, context, {
      type: 'mfa_challenge_failed',
      userId: caller.id,
      context,
      detail: { outcome: 'failure', reason: 'credentials', purpose },
    });
  }

  /** False when there was nothing to remove, pending or confirmed. */
  private async removeFactor(manager: EntityManager, userId: string): Promise<boolean> {
    const removed = await this.totp.remove(manager, userId);
    await removeRecoveryCodes(manager, userId);
    await this.challenges.removeAllForUser(manager, userId);
    await this.users.setMfaEnabled(userId, false, manager);
    return removed;
  }
}
