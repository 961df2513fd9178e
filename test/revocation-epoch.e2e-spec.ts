import { DataSource } from 'typeorm';
import { PrincipalStateService, StateSource } from '../src/auth/principal-state.service';
import { READ_REVOCATION_EPOCH } from '../src/auth/revocation-epoch';
import { PersonalAccessTokenUsage } from '../src/personal-access-tokens/personal-access-token-usage';
import { TOTP } from 'otpauth';
import { enrol } from './utils/mfa';
import { passwordGrant, refreshGrant, TokenPair } from './utils/oauth';
import { createPersonalAccessToken } from './utils/personal-access-tokens';
import { bearer, registerUser, startTestApp, TestApp } from './utils/test-app';

/** The writes of `table` that raise the revocation epoch through a trigger, as the database has them. */
async function epochTriggerEvents(dataSource: DataSource, table: string): Promise<string[]> {
  if (dataSource.options.type === 'postgres') {
    const rows = await dataSource.query<Array<{ event: string }>>(
      `SELECT event_manipulation AS event FROM information_schema.triggers
        WHERE event_object_schema = current_schema() AND event_object_table = $1
          AND action_statement LIKE '%bump_revocation_epoch%'`,
      [table],
    );
    return rows.map((row) => row.event);
  }
  const rows = await dataSource.query<Array<{ sql: string }>>(
    "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = ?",
    [table],
  );
  return rows
    .filter((row) => row.sql.includes('"revocation_epoch"'))
    .map((row) => /AFTER (INSERT|UPDATE|DELETE)/.exec(row.sql)?.[1] ?? '');
}

/**
 * PrincipalStateService answers every authenticated request from memory while the revocation epoch
 * stands still. That is only safe while each table it reads raises the epoch on every write that
 * can end a token: a table added to the per-request check without its trigger would be served stale.
 */
describe('the revocation epoch', () => {
  let t: TestApp;
  let dataSource: DataSource;

  beforeAll(async () => {
    t = await startTestApp();
    dataSource = t.app.get(DataSource);
  });

  afterAll(async () => {
    await t.close();
  });

  const epoch = async (): Promise<bigint> => {
    const [row] = await dataSource.query<Array<{ value: string | number }>>(READ_REVOCATION_EPOCH);
    return BigInt(row.value);
  };

  it('has a trigger for each write that can end a token, on every table the per-request check reads', async () => {
    const { sources } = t.app.get(PrincipalStateService);
    expect(Object.keys(sources).length).toBeGreaterThanOrEqual(4);
    for (const source of Object.values<StateSource<unknown>>(sources)) {
      const table = dataSource.getMetadata(source.table).tableName;
      const events = await epochTriggerEvents(dataSource, table);
      expect({ table, events: [...new Set(events)].sort() }).toEqual({
        table,
        events: expect.arrayContaining([...source.invalidatedBy]) as string[],
      });
    }
  });

  it('moves when a session ends, and not when a refresh only touches it', async () => {
    const pair = await passwordGrant(t, await registerUser(t));
    const before = await epoch();
    const refreshed = (await refreshGrant(t, pair.refresh_token).expect(200)).body as TokenPair;
    expect(await epoch()).toBe(before);

    await t.http.delete('/users/me/sessions').set(bearer(refreshed.access_token)).expect(204);
    expect(await epoch()).toBeGreaterThan(before);
  });

  it('moves when a second factor is turned on, which ends the other sessions at once', async () => {
    const user = await registerUser(t);
    const current = await passwordGrant(t, user);
    const other = await passwordGrant(t, user);
    await t.http.get('/users/me').set(bearer(other.access_token)).expect(200);
    const before = await epoch();
    await enrol(t, user, current.access_token, (secret) => new TOTP({ secret }).generate());

    expect(await epoch()).toBeGreaterThan(before);
    await t.http.get('/users/me').set(bearer(other.access_token)).expect(401);
  });

  it('moves when an access token is revoked', async () => {
    const pair = await passwordGrant(t, await registerUser(t));
    const before = await epoch();
    await t.http.post('/auth/revoke').type('form').send({ token: pair.access_token }).expect(200);
    expect(await epoch()).toBeGreaterThan(before);
  });

  it('moves when a personal access token is revoked, and not when its last use is written', async () => {
    const pair = await passwordGrant(t, await registerUser(t));
    const created = await createPersonalAccessToken(t, pair.access_token);
    await t.http.get('/users/me').set(bearer(created.token)).expect(200);
    const before = await epoch();

    await t.app.get(PersonalAccessTokenUsage).flush();
    expect(await epoch()).toBe(before);

    await t.http
      .delete(`/users/me/tokens/${created.id}`)
      .set(bearer(pair.access_token))
      .expect(204);
    expect(await epoch()).toBeGreaterThan(before);
  });
});
