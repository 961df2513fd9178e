import { randomUUID } from 'node:crypto';
import type { Response } from 'supertest';
import { createPersonalAccessToken } from './utils/personal-access-tokens';
import { passwordGrant, refreshGrant } from './utils/oauth';
import {
  ADMIN,
  bearer,
  Credentials,
  credentialsOf,
  login,
  registerUser,
  startTestApp,
  TestApp,
} from './utils/test-app';

interface UserPage {
  items: Array<{ id: string; username: string; email: string | null }>;
  total: number;
  totalExact: boolean;
  next: string | null;
}

interface SessionBody {
  id: string;
  current: boolean;
}

/** The `after` of an RFC 8288 Link rel="next" header, or null when there is none. */
function nextOf(response: Response): string | null {
  const link = response.headers.link as string | undefined;
  if (!link) {
    return null;
  }
  const match = /^<([^>]+)>; rel="next"$/.exec(link);
  expect(match).not.toBeNull();
  return new URL(match?.[1] ?? '', 'http://x').searchParams.get('after');
}

/** The same cursor with one character of its payload changed. */
function tampered(cursor: string): string {
  const text = Buffer.from(cursor, 'base64url').toString('latin1');
  const digit = text[3] === '9' ? '8' : '9';
  return Buffer.from(`${text.slice(0, 3)}${digit}${text.slice(4)}`).toString('base64url');
}

describe("the administrators' lists", () => {
  let t: TestApp;
  let adminToken: string;
  const tag = `pg${process.pid}${Date.now().toString(36)}`;

  beforeAll(async () => {
    t = await startTestApp();
    adminToken = await login(t, ADMIN);
  });

  afterAll(async () => {
    await t.close();
  });

  const users = async (query: string) =>
    (await t.http.get(`/users?${query}`).set(bearer(adminToken)).expect(200)).body as UserPage;

  const register = (name: string, extra: Record<string, string> = {}) =>
    registerUser(t, { username: `${tag}.${name}`, ...extra });

  describe('GET /users', () => {
    it('walks every user exactly once with cursors while users are added between pages', async () => {
      const made = [];
      for (const name of ['a', 'b', 'c', 'd']) {
        made.push((await register(name)).id);
      }
      const seen: string[] = [];
      let page = await users(`q=${tag}&limit=2`);
      let added = 0;
      for (;;) {
        seen.push(...page.items.map((user) => user.id));
        if (page.next === null) {
          break;
        }
        if (added < 2) {
          made.push((await register(`late${added}`)).id);
          added += 1;
        }
        page = await users(`q=${tag}&limit=2&after=${page.next}`);
      }
      expect(seen).toHaveLength(new Set(seen).size);
      expect([...seen].sort()).toEqual([...made].sort());
      expect(page.total).toBe(made.length);
      expect(page.totalExact).toBe(true);
      const skipped = await users(`q=${tag}&limit=3&offset=2`);
      expect(skipped.items.map((user) => user.id)).toEqual(seen.slice(2, 5));
    });

    it('refuses a tampered cursor, one from another list, and one beside an offset, with 400', async () => {
      await register('cursor.one');
      await register('cursor.two');
      const { next } = await users(`q=${tag}.cursor&limit=1`);
      expect(typeof next).toBe('string');
      const cursor = next as string;
      expect(Buffer.from(cursor, 'base64url').toString('latin1')).not.toContain(tag);
      await t.http.get(`/users?after=${cursor}`).set(bearer(adminToken)).expect(200);

      const audit = await t.http.get('/audit?limit=1').set(bearer(adminToken)).expect(200);
      for (const after of [tampered(cursor), nextOf(audit), 'bm90IGEgY3Vyc29y', '%00']) {
        const refused = await t.http
          .get(`/users?after=${after}`)
          .set(bearer(adminToken))
          .expect(400);
        expect(refused.headers['content-type']).toMatch(/^application\/problem\+json/);
      }
      await t.http.get(`/users?after=${cursor}&offset=0`).set(bearer(adminToken)).expect(400);
    });

    it('caps the offset at 10000 and answers 400 past it', async () => {
      expect((await users('offset=10000')).items).toEqual([]);
      await t.http.get('/users?offset=10001').set(bearer(adminToken)).expect(400);
    });

    it('finds username and email prefixes ignoring case, and no infix in prefix mode', async () => {
      const user = await register('Prefix.Alpha', { email: `box.${tag}@example.com` });
      const found = async (q: string, mode = 'prefix') =>
        (await users(`q=${encodeURIComponent(q)}&search=${mode}`)).items.map((item) => item.id);

      expect(await found(`${tag}.PREFIX.al`.toUpperCase())).toEqual([user.id]);
      expect(await found(`BOX.${tag}`.toUpperCase())).toEqual([user.id]);
      expect(await found('prefix.alpha')).toEqual([]);
      expect(await found(`${tag}@example`)).toEqual([]);
    });

    // PostgreSQL answers through pg_trgm indexes, SQLite by a scan: the same answers either way.
    it('finds infixes of usernames, emails and full names in substring mode', async () => {
      const user = await register('Sub.Beta', {
        email: `inbox.${tag}@example.com`,
        fullName: `Grace ${tag} Hopper`,
      });
      const found = async (q: string) =>
        (await users(`q=${encodeURIComponent(q)}&search=substring`)).items.map((item) => item.id);

      expect(await found('SUB.BETA')).toEqual([user.id]);
      expect(await found(`NBOX.${tag}@EXAMPLE`)).toEqual([user.id]);
      expect(await found(`${tag} HOPP`)).toEqual([user.id]);
      expect(await found(`${tag}%`)).toEqual([]);
      await t.http.get('/users?q=x&search=fuzzy').set(bearer(adminToken)).expect(400);
    });

    it('counts matches exactly on request, and says whether the count is exact', async () => {
      await register('count.a');
      await register('count.b');
      const capped = await users(`q=${tag}.count&limit=1`);
      const exact = await users(`q=${tag}.count&limit=1&total=exact`);
      expect([capped.total, capped.totalExact]).toEqual([2, true]);
      expect([exact.total, exact.totalExact]).toEqual([2, true]);
    });
  });

  describe('GET /audit', () => {
    it('pages newest first through the Link header, each event once, filters kept', async () => {
      const user = await register('audited');
      for (let i = 0; i < 3; i += 1) {
        const wrong = { ...credentialsOf(user), password: 'not the password at all' };
        await t.http
          .post('/auth/token')
          .type('form')
          .send({ grant_type: 'password', ...wrong });
      }
      const seen: Array<{ id: string; at: string }> = [];
      let query = `userId=${user.id}&limit=2`;
      for (;;) {
        const response = await t.http.get(`/audit?${query}`).set(bearer(adminToken)).expect(200);
        seen.push(...(response.body as Array<{ id: string; at: string }>));
        const after = nextOf(response);
        if (after === null) {
          break;
        }
        expect(response.headers.link).toContain(`userId=${user.id}`);
        query = `userId=${user.id}&limit=2&after=${after}`;
      }
      expect(seen).toHaveLength(4);
      expect(new Set(seen.map((event) => event.id)).size).toBe(4);
      const times = seen.map((event) => event.at);
      expect(times).toEqual([...times].sort().reverse());

      const latest = await t.http.get('/audit?limit=1').set(bearer(adminToken)).expect(200);
      const cursor = nextOf(latest) ?? '';
      await t.http
        .get(`/audit?after=${tampered(cursor)}`)
        .set(bearer(adminToken))
        .expect(400);
      await t.http
        .get(`/audit?after=${cursor}&before=${seen[0].id}`)
        .set(bearer(adminToken))
        .expect(400);
    });
  });

  describe("a user's sessions", () => {
    async function withSessions(name: string, count: number) {
      const user = await register(name);
      const pairs = [];
      for (let i = 0; i < count; i += 1) {
        pairs.push(await passwordGrant(t, user));
      }
      return { user, pairs };
    }

    const adminList = async (userId: string) => {
      const sessions: SessionBody[] = [];
      let next: string | null = null;
      do {
        const response = await t.http
          .get(`/users/${userId}/sessions?limit=2${next ? `&after=${next}` : ''}`)
          .set(bearer(adminToken))
          .expect(200);
        sessions.push(...(response.body as SessionBody[]));
        next = nextOf(response);
      } while (next);
      return sessions;
    };

    it('lists them for an administrator and for their owner, a page at a time', async () => {
      const { user, pairs } = await withSessions('sessions.listed', 3);
      const listed = await adminList(user.id);
      expect(listed).toHaveLength(3);
      expect(new Set(listed.map((session) => session.id)).size).toBe(3);
      expect(listed.every((session) => !session.current)).toBe(true);

      const own = await t.http
        .get('/users/me/sessions?limit=2')
        .set(bearer(pairs[0].access_token))
        .expect(200);
      expect(own.body).toHaveLength(2);
      const rest = await t.http
        .get(`/users/me/sessions?limit=2&after=${nextOf(own)}`)
        .set(bearer(pairs[0].access_token))
        .expect(200);
      expect(nextOf(rest)).toBeNull();
      const ids = [...(own.body as SessionBody[]), ...(rest.body as SessionBody[])].map(
        (session) => session.id,
      );
      expect(ids).toEqual(listed.map((session) => session.id));
    });

    it('ends one session, then all, at once and on record', async () => {
      const { user, pairs } = await withSessions('sessions.ended', 2);
      const [first] = await adminList(user.id);

      await t.http
        .delete(`/users/${user.id}/sessions/${first.id}`)
        .set(bearer(adminToken))
        .expect(204);
      // Newest first: the first listed is the second login.
      await t.http.get('/users/me').set(bearer(pairs[1].access_token)).expect(401);
      await refreshGrant(t, pairs[1].refresh_token).expect(400);
      await t.http.get('/users/me').set(bearer(pairs[0].access_token)).expect(200);
      await t.http
        .delete(`/users/${user.id}/sessions/${first.id}`)
        .set(bearer(adminToken))
        .expect(404);

      await t.http.delete(`/users/${user.id}/sessions`).set(bearer(adminToken)).expect(204);
      await t.http.get('/users/me').set(bearer(pairs[0].access_token)).expect(401);
      expect(await adminList(user.id)).toEqual([]);

      const admin = (await users(`q=${ADMIN.username}`)).items[0];
      const events = (
        await t.http
          .get(`/audit?userId=${user.id}&type=token_revoked`)
          .set(bearer(adminToken))
          .expect(200)
      ).body as Array<{ detail: Record<string, unknown> }>;
      expect(events.map((event) => event.detail)).toEqual([
        { tokenType: 'all_sessions', endedBy: 'admin', actorId: admin.id },
        { tokenType: 'session', sessionId: first.id, endedBy: 'admin', actorId: admin.id },
      ]);
    });

    it("answers 404 for an unknown user, and never ends another user's session", async () => {
      const unknown = randomUUID();
      await t.http.get(`/users/${unknown}/sessions`).set(bearer(adminToken)).expect(404);
      await t.http.delete(`/users/${unknown}/sessions`).set(bearer(adminToken)).expect(404);
      const { pairs } = await withSessions('sessions.owner', 1);
      const other = await register('sessions.other');
      const [session] = (
        await t.http.get('/users/me/sessions').set(bearer(pairs[0].access_token)).expect(200)
      ).body as SessionBody[];
      await t.http
        .delete(`/users/${other.id}/sessions/${session.id}`)
        .set(bearer(adminToken))
        .expect(404);
      await t.http.get('/users/me').set(bearer(pairs[0].access_token)).expect(200);
    });

    it('refuses non-administrators and personal access tokens without the admin scope', async () => {
      const { user, pairs } = await withSessions('sessions.target', 1);
      const intruder: Credentials = await register('sessions.intruder');
      const intruderToken = await login(t, intruder);
      const adminSession = await login(t, ADMIN);
      const profileOnly = await createPersonalAccessToken(t, adminSession, { scopes: ['profile'] });
      for (const token of [intruderToken, profileOnly.token]) {
        await t.http.get(`/users/${user.id}/sessions`).set(bearer(token)).expect(403);
        await t.http.delete(`/users/${user.id}/sessions`).set(bearer(token)).expect(403);
        await t.http
          .delete(`/users/${user.id}/sessions/${randomUUID()}`)
          .set(bearer(token))
          .expect(403);
      }
      await t.http.get('/users/me').set(bearer(pairs[0].access_token)).expect(200);
    });
  });
});
