import { DataSource, In, IsNull, Not } from 'typeorm';
import { AuditEvent } from '../src/audit/entities/audit-event.entity';
import { Client } from '../src/clients/entities/client.entity';
import { OutboxMessage, OutboxStatus } from '../src/mail/entities/outbox-message.entity';
import { FINISHED_MAIL_RETENTION_MS } from '../src/mail/outbox.service';
import { AccountToken } from '../src/recovery/entities/account-token.entity';
import { PurgeService, SESSION_GRACE_MS } from '../src/maintenance/purge.service';
import { PersonalAccessToken } from '../src/personal-access-tokens/entities/personal-access-token.entity';
import { ENDED_TOKEN_RETENTION_MS } from '../src/personal-access-tokens/personal-access-tokens.service';
import { MfaChallenge } from '../src/mfa/entities/mfa-challenge.entity';
import { TotpFactor } from '../src/mfa/entities/totp-factor.entity';
import { RefreshToken } from '../src/sessions/entities/refresh-token.entity';
import { Session } from '../src/sessions/entities/session.entity';
import { ThrottleCounter } from '../src/throttling/entities/throttle-counter.entity';
import { RevokedAccessToken } from '../src/tokens/entities/revoked-access-token.entity';
import { passwordGrant, refreshGrant, TokenPair } from './utils/oauth';
import { createPersonalAccessToken } from './utils/personal-access-tokens';
import { bearer, credentialsOf, registerUser, startTestApp, TestApp } from './utils/test-app';

const DAY = 86_400_000;

describe('the scheduled purge', () => {
  let t: TestApp;
  let second: TestApp;
  let dataSource: DataSource;

  beforeAll(async () => {
    t = await startTestApp({ AUDIT_RETENTION_DAYS: '30' });
    second = await startTestApp({ AUDIT_RETENTION_DAYS: '30' }, { shareDatabaseOf: t });
    dataSource = t.app.get(DataSource);
  });

  afterAll(async () => {
    await second.close();
    await t.close();
  });

  const count = (target: typeof Session | typeof RefreshToken, where: object) =>
    dataSource.getRepository(target).countBy(where);

  it('removes expired and ended rows after their grace, and keeps every live one', async () => {
    const now = Date.now();
    const ago = (ms: number) => new Date(now - ms);
    const user = await registerUser(t);
    const live = await passwordGrant(t, credentialsOf(user));
    const refreshed = (await refreshGrant(t, live.refresh_token).expect(200)).body as TokenPair;
    await passwordGrant(t, credentialsOf(user));
    await passwordGrant(t, credentialsOf(user));
    const sessions = dataSource.getRepository(Session);
    const [liveSession, oldSession, recentSession] = await sessions.find({
      where: { userId: user.id },
      order: { createdAt: 'ASC' },
    });
    await sessions.update({ id: oldSession.id }, { revokedAt: ago(SESSION_GRACE_MS + DAY) });
    await sessions.update({ id: recentSession.id }, { revokedAt: ago(SESSION_GRACE_MS - DAY / 2) });
    // The live session's first refresh token, spent, expired long ago; its successor is live.
    const tokens = dataSource.getRepository(RefreshToken);
    await tokens.update(
      { sessionId: liveSession.id, usedAt: Not(IsNull()) },
      { expiresAt: ago(SESSION_GRACE_MS + DAY) },
    );

    const denylist = dataSource.getRepository(RevokedAccessToken);
    await denylist.insert([
      { jti: 'gone', expiresAt: ago(1000) },
      { jti: 'kept', expiresAt: new Date(now + DAY) },
    ]);
    const counters = dataSource.getRepository(ThrottleCounter);
    const counter = { count: 1, delayMs: 0, blockedUntil: 0, inFlight: 0, inFlightUntil: 0 };
    await counters.insert([
      { ...counter, key: 'purge:gone', expiresAt: now - 1000 },
      { ...counter, key: 'purge:kept', expiresAt: now + DAY },
      { ...counter, key: 'purge:blocked', expiresAt: now - 1000, blockedUntil: now + DAY },
    ]);
    const events = dataSource.getRepository(AuditEvent);
    const oldEvent = await events.findOneByOrFail({ userId: user.id, type: 'user_registered' });
    await events.update({ id: oldEvent.id }, { at: ago(31 * DAY) });

    const accountTokens = dataSource.getRepository(AccountToken);
    const token = {
      userId: user.id,
      purpose: 'password_reset' as const,
      email: null,
      createdAt: now,
    };
    await accountTokens.insert([
      { ...token, id: 'purge-token-gone', tokenHash: 'a'.repeat(64), expiresAt: now - 1000 },
      { ...token, id: 'purge-token-kept', tokenHash: 'b'.repeat(64), expiresAt: now + DAY },
    ]);
    const outbox = dataSource.getRepository(OutboxMessage);
    const message = (id: string, status: OutboxStatus, finishedAt: number | null) => ({
      id,
      status,
      finishedAt,
      template: 'password-changed',
      payload: status === 'pending' ? 'sealed' : null,
      attempts: 1,
      nextAttemptAt: now + DAY,
      leaseUntil: 0,
      claim: null,
      lastError: null,
      createdAt: now - 30 * DAY,
    });
    const old = now - FINISHED_MAIL_RETENTION_MS - DAY;
    await outbox.insert([
      message('purge-sent-gone', 'sent', old),
      message('purge-failed-gone', 'failed', old),
      message('purge-sent-kept', 'sent', now - DAY),
      message('purge-pending-kept', 'pending', null),
    ]);

    const report = await t.app.get(PurgeService).purge(now);

    expect(report.sessions).toBeGreaterThanOrEqual(1);
    expect(await count(Session, { id: oldSession.id })).toBe(0);
    expect(await count(RefreshToken, { sessionId: oldSession.id })).toBe(0);
    expect(await count(Session, { id: recentSession.id })).toBe(1);
    expect(await count(Session, { id: liveSession.id })).toBe(1);
    expect(await count(RefreshToken, { sessionId: liveSession.id })).toBe(1);
    expect((await denylist.find()).map((row) => row.jti).sort()).toEqual(['kept']);
    const purgeKeys = (await counters.find())
      .map((row) => row.key)
      .filter((key) => key.startsWith('purge:'));
    expect(purgeKeys.sort()).toEqual(['purge:blocked', 'purge:kept']);
    expect(await events.countBy({ id: oldEvent.id })).toBe(0);
    expect((await accountTokens.findBy({ userId: user.id })).map((row) => row.id)).toEqual([
      'purge-token-kept',
    ]);
    const messages = (await outbox.find())
      .map((row) => row.id)
      .filter((id) => id.startsWith('purge-'));
    expect(messages.sort()).toEqual(['purge-pending-kept', 'purge-sent-kept']);
    // The live session still refreshes, and its access token still works.
    await refreshGrant(t, refreshed.refresh_token).expect(200);
  });

  it('removes personal access tokens once expired or revoked for 30 days, and keeps the rest', async () => {
    const now = Date.now();
    const ago = (ms: number) => new Date(now - ms);
    const session = (await passwordGrant(t, credentialsOf(await registerUser(t)))).access_token;
    const [live, expiredLong, revokedLong, expiredRecently, revokedRecently] = await Promise.all(
      Array.from({ length: 5 }, () => createPersonalAccessToken(t, session)),
    );
    const tokens = dataSource.getRepository(PersonalAccessToken);
    await tokens.update({ id: expiredLong.id }, { expiresAt: ago(ENDED_TOKEN_RETENTION_MS + DAY) });
    await tokens.update({ id: revokedLong.id }, { revokedAt: ago(ENDED_TOKEN_RETENTION_MS + DAY) });
    await tokens.update({ id: expiredRecently.id }, { expiresAt: ago(DAY) });
    await tokens.update({ id: revokedRecently.id }, { revokedAt: ago(DAY) });

    const report = await t.app.get(PurgeService).purge(now);

    expect(report.personalAccessTokens).toBeGreaterThanOrEqual(2);
    const kept = await tokens.findBy({
      id: In([live, expiredLong, revokedLong, expiredRecently, revokedRecently].map((x) => x.id)),
    });
    expect(kept.map((row) => row.id).sort()).toEqual(
      [live.id, expiredRecently.id, revokedRecently.id].sort(),
    );
    await t.http.get('/users/me').set(bearer(live.token)).expect(200);
  });

  it('removes expired mfa_tokens and enrolments left unconfirmed for an hour, and nothing live', async () => {
    const now = Date.now();
    const [a, b, c] = await Promise.all([registerUser(t), registerUser(t), registerUser(t)]);
    const challenges = dataSource.getRepository(MfaChallenge);
    const challenge = { scope: 'profile', tokenVersion: 0, attempts: 0, clientId: null };
    await challenges.insert([
      {
        ...challenge,
        tokenHash: 'a'.repeat(64),
        userId: a.id,
        createdAt: new Date(now - 600_000),
        expiresAt: new Date(now - 300_000),
      },
      {
        ...challenge,
        tokenHash: 'b'.repeat(64),
        userId: a.id,
        createdAt: new Date(now),
        expiresAt: new Date(now + 300_000),
      },
    ]);
    const factors = dataSource.getRepository(TotpFactor);
    const factor = { secretSealed: 'JBSWY3DPEHPK3PXP', lastUsedStep: null };
    await factors.insert([
      { ...factor, userId: a.id, confirmedAt: null, createdAt: new Date(now - 2 * 3_600_000) },
      { ...factor, userId: b.id, confirmedAt: null, createdAt: new Date(now - 60_000) },
      { ...factor, userId: c.id, confirmedAt: new Date(now - DAY), createdAt: new Date(now - DAY) },
    ]);

    const report = await t.app.get(PurgeService).purge(now);

    expect(report).toMatchObject({ mfaChallenges: 1, pendingTotp: 1 });
    expect((await challenges.find()).map((row) => row.tokenHash)).toEqual(['b'.repeat(64)]);
    expect((await factors.find()).map((row) => row.userId).sort()).toEqual([b.id, c.id].sort());
  });

  it("forgets a client's replaced secret once its overlap is over, and keeps one still in it", async () => {
    const now = Date.now();
    const clients = dataSource.getRepository(Client);
    const client = (clientId: string, previousSecretExpiresAt: Date) => ({
      clientId,
      name: clientId,
      secretHash: 'c'.repeat(64),
      previousSecretHash: 'd'.repeat(64),
      previousSecretExpiresAt,
      scopes: [],
      grants: ['client_credentials'],
      createdAt: new Date(now - DAY),
    });
    await clients.insert([
      client('pc_purge_overlap_over', new Date(now - 1000)),
      client('pc_purge_overlap_on', new Date(now + DAY)),
    ]);

    const report = await t.app.get(PurgeService).purge(now);

    expect(report.clientSecrets).toBeGreaterThanOrEqual(1);
    const rows = await clients
      .createQueryBuilder('client')
      .addSelect(['client.secretHash', 'client.previousSecretHash'])
      .where('client.clientId LIKE :prefix', { prefix: 'pc_purge_%' })
      .orderBy('client.clientId')
      .getMany();
    expect(rows.map((row) => [row.clientId, row.previousSecretHash, row.secretHash])).toEqual([
      ['pc_purge_overlap_on', 'd'.repeat(64), 'c'.repeat(64)],
      ['pc_purge_overlap_over', null, 'c'.repeat(64)],
    ]);
    expect(rows[1].previousSecretExpiresAt).toBeNull();
  });

  it('runs once per interval whichever instances ask, on any number of instances', async () => {
    const now = Date.now() + 10 * DAY;
    const reports = await Promise.all([
      t.app.get(PurgeService).tick(now),
      second.app.get(PurgeService).tick(now),
      t.app.get(PurgeService).tick(now),
      second.app.get(PurgeService).tick(now),
    ]);
    expect(reports.filter((report) => report !== undefined)).toHaveLength(1);
    expect(await second.app.get(PurgeService).tick(now + 1000)).toBeUndefined();
    expect(await t.app.get(PurgeService).tick(now + 3_600_000)).toBeDefined();
  });
});
