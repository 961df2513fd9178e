import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { createHash, randomBytes } from 'node:crypto';
import { EntityManager, MoreThan, Repository } from 'typeorm';
import { OAuthException } from '../common/oauth.exception';
import { RequestContext } from '../common/request-context';
import { deleteInBatches } from '../database/batched-delete';
import { Session } from '../sessions/entities/session.entity';
import { IssuedRefresh } from '../sessions/refresh-tokens';
import { SessionsService } from '../sessions/sessions.service';
import { User } from '../users/entities/user.entity';
import { MfaChallenge } from './entities/mfa-challenge.entity';
import { MfaCodes, PresentedCode, SecondFactorMethod } from './mfa-codes.service';

const MFA_TOKEN_TTL_MS = 5 * 60_000;
/** The 5th wrong code is the token's last: a new one needs the password again. */
export const MFA_TOKEN_ATTEMPTS = 5;

const hashMfaToken = (token: string): string =>
  createHash('sha256').update(token, 'utf8').digest('hex');

export const invalidMfaToken = () =>
  new OAuthException('invalid_grant', 'The mfa_token is invalid, expired or spent');

export interface MfaLogin extends IssuedRefresh {
  user: User;
  amr: string[];
}

/** Between the password and the second factor: the mfa_token, single use, for 5 minutes. */
@Injectable()
export class MfaChallenges {
  constructor(
    @InjectRepository(MfaChallenge) private readonly challenges: Repository<MfaChallenge>,
    private readonly codes: MfaCodes,
    private readonly sessions: SessionsService,
  ) {}

  /** After the right password: an mfa_token (256 random bits) bound to the login's particulars. */
  async issue(user: User, clientId: string | null, scope: string): Promise<string> {
    const token = randomBytes(32).toString('base64url');
    const now = Date.now();
    await this.challenges.insert({
      tokenHash: hashMfaToken(token),
      userId: user.id,
      clientId,
      scope,
      tokenVersion: user.tokenVersion,
      attempts: 0,
      createdAt: new Date(now),
      expiresAt: new Date(now + MFA_TOKEN_TTL_MS),
    });
    return token;
  }

  /**
   * The second step: a session (amr `pwd` plus the code's method) when the code is right and the
   * token unspent, presented by the client it was issued to. Exactly one of concurrent uses of a
   * token wins: the token is deleted in the transaction that starts the session.
   */
  async complete(
    token: string,
    clientId: string | null,
    code: PresentedCode,
    context: RequestContext,
    wrong: () => Error,
  ): Promise<MfaLogin> {
    const tokenHash = hashMfaToken(token);
    const challenge = await this.challenges.findOneBy({
      tokenHash,
      expiresAt: MoreThan(new Date()),
    });
    if (!challenge || challenge.clientId !== clientId) {
      throw invalidMfaToken();
    }
    return this.codes.prove({
      userId: challenge.userId,
      code,
      context,
      purpose: 'login',
      wrong,
      before: () => this.takeAttempt(tokenHash),
      then: (manager, method) => this.startSession(manager, challenge, method, context),
    });
  }

  purgeExpired(now: number): Promise<number> {
    return deleteInBatches(this.challenges.manager.connection, MfaChallenge, '"expiresAt" < :now', {
      now: new Date(now),
    });
  }

  async removeAllForUser(manager: EntityManager, userId: string): Promise<void> {
    await manager.delete(MfaChallenge, { userId });
  }

  // Taken before the code is checked, so that concurrent guesses cannot exceed the allowance.
  private async takeAttempt(tokenHash: string): Promise<void> {
    const { affected } = await this.challenges
      .createQueryBuilder()
      .update(MfaChallenge)
      .set({ attempts: () => '"attempts" + 1' })
      .where('"tokenHash" = :tokenHash AND "attempts" < :limit AND "expiresAt" > :now', {
        tokenHash,
        limit: MFA_TOKEN_ATTEMPTS,
        now: new Date(),
      })
      .execute();
    if (affected !== 1) {
      throw invalidMfaToken();
    }
  }

  private async startSession(
    manager: EntityManager,
    challenge: MfaChallenge,
    method: SecondFactorMethod,
    context: RequestContext,
  ): Promise<MfaLogin> {
    const { affected } = await manager.delete(MfaChallenge, {
      tokenHash: challenge.tokenHash,
      expiresAt: MoreThan(new Date()),
    });
    const user = await manager.findOneBy(User, { id: challenge.userId });
    // A password change, a disable or the factor's removal since the password step voids it.
    if (
      affected !== 1 ||
      !user ||
      user.disabled ||
      !user.mfaEnabled ||
      user.tokenVersion !== challenge.tokenVersion
    ) {
      throw invalidMfaToken();
    }
    const amr = ['pwd', method];
    const { clientId, scope } = challenge;
    const started = await this.sessions.startWithin(
      manager,
      { user, clientId, scope, amr, context },
      (session: Session) => ({
        type: 'login_succeeded',
        userId: user.id,
        clientId,
        context,
        detail: { outcome: 'success', sessionId: session.id, amr: amr.join(' ') },
      }),
    );
    return { ...started, user, amr };
  }
}
