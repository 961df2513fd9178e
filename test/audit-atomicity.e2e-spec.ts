import { DataSource } from 'typeorm';
import { SigningKey } from '../src/keys/entities/signing-key.entity';
import { RefreshToken } from '../src/sessions/entities/refresh-token.entity';
import { Session } from '../src/sessions/entities/session.entity';
import { User } from '../src/users/entities/user.entity';
import { captureLogs, CapturedLogs } from './utils/captured-logs';
import { passwordGrant, refreshGrant } from './utils/oauth';
import {
  ADMIN,
  bearer,
  credentialsOf,
  login,
  registerUser,
  startTestApp,
  STRONG_PASSWORD,
  TestApp,
  uniqueUsername,
} from './utils/test-app';

/**
 * A change and the audit event that records it commit together or not at all: here the database
 * refuses the event, as a crash between the two writes would lose it, and the change must go too.
 */
describe('a change and its audit event', () => {
  let t: TestApp;
  let dataSource: DataSource;
  let logs: CapturedLogs;

  beforeAll(async () => {
    logs = captureLogs();
    t = await startTestApp();
    dataSource = t.app.get(DataSource);
  });

  afterAll(async () => {
    await t.close();
    logs.release();
  });

  /** Makes the database refuse audit events of `type` while `during` runs. */
  async function refusingEvents(type: string, during: () => Promise<void>): Promise<void> {
    const postgres = dataSource.options.type === 'postgres';
    if (postgres) {
      await dataSource.query(
        `CREATE FUNCTION refuse_event() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN ` +
          `IF NEW."type" = '${type}' THEN RAISE EXCEPTION 'refused'; END IF; RETURN NEW; END $$`,
      );
      await dataSource.query(
        'CREATE TRIGGER refuse_event BEFORE INSERT ON audit_events FOR EACH ROW EXECUTE FUNCTION refuse_event()',
      );
    } else {
      await dataSource.query(
        `CREATE TRIGGER refuse_event BEFORE INSERT ON audit_events WHEN NEW."type" = '${type}' ` +
          `BEGIN SELECT RAISE(ABORT, 'refused'); END`,
      );
    }
    try {
      await during();
    } finally {
      await dataSource.query(
        postgres ? 'DROP TRIGGER refuse_event ON audit_events' : 'DROP TRIGGER refuse_event',
      );
      if (postgres) {
        await dataSource.query('DROP FUNCTION refuse_event()');
      }
    }
  }

  it('leaves no account behind when its registration cannot be recorded', async () => {
    const username = uniqueUsername();
    await refusingEvents('user_registered', async () => {
      await t.http.post('/auth/register').send({ username, password: STRONG_PASSWORD }).expect(500);
    });
    expect(await dataSource.getRepository(User).countBy({ username })).toBe(0);
  });

  it('starts no session when a login cannot be recorded', async () => {
    const user = await registerUser(t);
    await refusingEvents('login_succeeded', async () => {
      await t.http.post('/auth/token').type('form').send(credentialsOf(user)).expect(500);
    });
    expect(await dataSource.getRepository(Session).countBy({ userId: user.id })).toBe(0);
  });

  it('spends no refresh token when its rotation cannot be recorded', async () => {
    const user = await registerUser(t);
    const pair = await passwordGrant(t, credentialsOf(user));
    await refusingEvents('token_refreshed', async () => {
      await refreshGrant(t, pair.refresh_token).expect(500);
    });
    const tokens = await dataSource.getRepository(RefreshToken).find();
    expect(tokens.filter((token) => token.usedAt !== null)).toHaveLength(0);
    // Still unspent: it rotates once the event can be recorded.
    await refreshGrant(t, pair.refresh_token).expect(200);
  });

  it('keeps the password when its change cannot be recorded', async () => {
    const user = await registerUser(t);
    const token = (await passwordGrant(t, credentialsOf(user))).access_token;
    await refusingEvents('password_changed', async () => {
      await t.http
        .post('/users/me/password')
        .set({ Authorization: `Bearer ${token}` })
        .send({ currentPassword: user.password, newPassword: `${STRONG_PASSWORD} renewed` })
        .expect(500);
    });
    await passwordGrant(t, credentialsOf(user));
  });

  it('keeps the signing keys when a rotation cannot be recorded', async () => {
    const adminToken = await login(t, ADMIN);
    const keys = dataSource.getRepository(SigningKey);
    const before = await keys.count();
    await refusingEvents('key_rotated', async () => {
      await t.http.post('/keys/rotate').set(bearer(adminToken)).expect(500);
    });
    expect(await keys.count()).toBe(before);
    await t.http.post('/keys/rotate').set(bearer(adminToken)).expect(201);
    expect(await keys.count()).toBe(before + 1);
  });
});
