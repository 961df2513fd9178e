import { randomUUID } from 'node:crypto';
import { passwordGrant, refreshGrant } from './utils/oauth';
import { bearer, registerUser, startTestApp, TestApp } from './utils/test-app';

interface SessionBody {
  id: string;
  createdAt: string;
  lastUsedAt: string;
  userAgent: string | null;
  ip: string | null;
  current: boolean;
}

describe('/users/me/sessions', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp();
  });

  afterAll(async () => {
    await t.close();
  });

  it('lists one session per login, marking the current one', async () => {
    const user = await registerUser(t);
    const laptop = await passwordGrant(t, user, {}, { 'User-Agent': 'laptop-browser/1.0' });
    await passwordGrant(t, user, {}, { 'User-Agent': 'phone-app/2.0' });

    const response = await t.http
      .get('/users/me/sessions')
      .set(bearer(laptop.access_token))
      .expect(200);
    const sessions = response.body as SessionBody[];
    expect(sessions).toHaveLength(2);
    expect(sessions.map((session) => session.userAgent).sort()).toEqual([
      'laptop-browser/1.0',
      'phone-app/2.0',
    ]);
    expect(
      sessions.filter((session) => session.current).map((session) => session.userAgent),
    ).toEqual(['laptop-browser/1.0']);
    for (const session of sessions) {
      expect(Object.keys(session).sort()).toEqual([
        'createdAt',
        'current',
        'id',
        'ip',
        'lastUsedAt',
        'userAgent',
      ]);
      expect(session.ip).toBeTruthy();
    }
  });

  it('keeps one session across refreshes (a family, not a token)', async () => {
    const user = await registerUser(t);
    const pair = await passwordGrant(t, user);
    const refreshed = (await refreshGrant(t, pair.refresh_token).expect(200)).body as {
      access_token: string;
    };
    const sessions = (
      await t.http.get('/users/me/sessions').set(bearer(refreshed.access_token)).expect(200)
    ).body as SessionBody[];
    expect(sessions).toHaveLength(1);
    expect(sessions[0].current).toBe(true);
  });

  it('ends one session: its refresh and access tokens stop working, the others carry on', async () => {
    const user = await registerUser(t);
    const keep = await passwordGrant(t, user);
    const end = await passwordGrant(t, user);
    const sessions = (await t.http.get('/users/me/sessions').set(bearer(keep.access_token)))
      .body as SessionBody[];
    const other = sessions.find((session) => !session.current) as SessionBody;

    await t.http
      .delete(`/users/me/sessions/${other.id}`)
      .set(bearer(keep.access_token))
      .expect(204);
    await refreshGrant(t, end.refresh_token).expect(400);
    await t.http.get('/users/me').set(bearer(end.access_token)).expect(401);
    await t.http.get('/users/me').set(bearer(keep.access_token)).expect(200);
    const left = (await t.http.get('/users/me/sessions').set(bearer(keep.access_token)))
      .body as SessionBody[];
    expect(left.map((session) => session.current)).toEqual([true]);
  });

  it("answers 404 for another user's session and for an unknown one, 400 for a malformed id", async () => {
    const owner = await registerUser(t);
    const ownerPair = await passwordGrant(t, owner);
    const ownerSession = (
      (await t.http.get('/users/me/sessions').set(bearer(ownerPair.access_token)))
        .body as SessionBody[]
    )[0];
    const intruder = await passwordGrant(t, await registerUser(t));

    await t.http
      .delete(`/users/me/sessions/${ownerSession.id}`)
      .set(bearer(intruder.access_token))
      .expect(404);
    await t.http
      .delete(`/users/me/sessions/${randomUUID()}`)
      .set(bearer(intruder.access_token))
      .expect(404);
    await t.http
      .delete('/users/me/sessions/not-a-uuid')
      .set(bearer(intruder.access_token))
      .expect(400);
    await refreshGrant(t, ownerPair.refresh_token).expect(200);
  });

  it('ends every session at once, the current one included', async () => {
    const user = await registerUser(t);
    const first = await passwordGrant(t, user);
    const second = await passwordGrant(t, user);
    await t.http.delete('/users/me/sessions').set(bearer(first.access_token)).expect(204);
    for (const pair of [first, second]) {
      await refreshGrant(t, pair.refresh_token).expect(400);
      await t.http.get('/users/me').set(bearer(pair.access_token)).expect(401);
    }
  });
});
