import { basic, createClient, RegisteredClient } from './utils/oauth';
import {
  ADMIN,
  bearer,
  credentialsOf,
  login,
  registerUser,
  startTestApp,
  TestApp,
} from './utils/test-app';

const OVERLAP_SECONDS = 2;

interface ClientBody {
  clientId: string;
  name: string;
  scopes: string[];
  grants: string[];
  public: boolean;
  previousSecretExpiresAt: string | null;
}

interface AuditBody {
  type: string;
  clientId: string | null;
  detail: Record<string, unknown>;
}

describe('client administration: secret rotation, changes, pages', () => {
  let t: TestApp;
  let adminToken: string;
  let userToken: string;

  beforeAll(async () => {
    t = await startTestApp({ CLIENT_SECRET_OVERLAP: String(OVERLAP_SECONDS) });
    adminToken = await login(t, ADMIN);
    userToken = await login(t, credentialsOf(await registerUser(t)));
  });

  afterAll(async () => {
    await t.close();
  });

  const clientCredentials = (clientId: string, secret: string, scope?: string) =>
    t.http
      .post('/auth/token')
      .set(basic(clientId, secret))
      .type('form')
      .send({ grant_type: 'client_credentials', ...(scope ? { scope } : {}) });
  const patch = (clientId: string, body: object, token = adminToken) =>
    t.http.patch(`/clients/${clientId}`).set(bearer(token)).send(body);
  const rotate = (clientId: string, token = adminToken) =>
    t.http.post(`/clients/${clientId}/secret`).set(bearer(token));
  const auditOf = async (type: string, clientId: string) =>
    (
      (await t.http.get(`/audit?type=${type}`).set(bearer(adminToken)).expect(200))
        .body as AuditBody[]
    ).filter((event) => event.clientId === clientId);

  describe('POST /clients/{clientId}/secret', () => {
    let service: RegisteredClient;

    beforeAll(async () => {
      service = await createClient(t, adminToken, { name: 'rotating-service' });
    });

    it('shows a new secret once; the old one works for the overlap, then is refused', async () => {
      const response = await rotate(service.clientId).expect(201);
      const body = response.body as { clientSecret: string; previousSecretExpiresAt: string };
      expect(body.clientSecret).not.toBe(service.clientSecret);
      const until = Date.parse(body.previousSecretExpiresAt);
      expect(until - Date.now()).toBeGreaterThan(0);
      expect(until - Date.now()).toBeLessThanOrEqual(OVERLAP_SECONDS * 1000);

      await clientCredentials(service.clientId, body.clientSecret).expect(200);
      await clientCredentials(service.clientId, service.clientSecret).expect(200);
      const listed = (await t.http.get('/clients?limit=200').set(bearer(adminToken)))
        .body as ClientBody[];
      expect(listed.find((client) => client.clientId === service.clientId)).toMatchObject({
        previousSecretExpiresAt: body.previousSecretExpiresAt,
      });
      expect(JSON.stringify(listed)).not.toContain(body.clientSecret);

      await new Promise((wait) => setTimeout(wait, until - Date.now() + 100));
      const refused = await clientCredentials(service.clientId, service.clientSecret).expect(401);
      expect(refused.body).toMatchObject({ error: 'invalid_client' });
      await clientCredentials(service.clientId, body.clientSecret).expect(200);

      const [event] = await auditOf('client_secret_rotated', service.clientId);
      expect(event.detail).toMatchObject({ previousSecretExpiresAt: body.previousSecretExpiresAt });
      expect(JSON.stringify(event)).not.toContain(body.clientSecret);
    });

    it('keeps only the secret a rotation replaced: two rotations end the first secret', async () => {
      const first = await createClient(t, adminToken, { name: 'twice-rotated' });
      const second = (await rotate(first.clientId).expect(201)).body as { clientSecret: string };
      const third = (await rotate(first.clientId).expect(201)).body as { clientSecret: string };
      await clientCredentials(first.clientId, first.clientSecret).expect(401);
      await clientCredentials(first.clientId, second.clientSecret).expect(200);
      await clientCredentials(first.clientId, third.clientSecret).expect(200);
    });

    it('answers 409 for a public client, which has no secret', async () => {
      const created = await t.http
        .post('/clients')
        .set(bearer(adminToken))
        .send({ name: 'spa', scopes: [], public: true })
        .expect(201);
      await rotate((created.body as ClientBody).clientId).expect(409);
    });

    it('answers 404 for an unknown client and 403 for a non-admin', async () => {
      await rotate('pc_unknown').expect(404);
      await rotate(service.clientId, userToken).expect(403);
    });
  });

  describe('PATCH /clients/{clientId}', () => {
    let service: RegisteredClient;

    beforeAll(async () => {
      service = await createClient(t, adminToken, { name: 'patched', scopes: ['orders:read'] });
    });

    it('changes scopes for the tokens issued from then on, and audits what changed', async () => {
      await clientCredentials(service.clientId, service.clientSecret, 'orders:write').expect(400);
      const response = await patch(service.clientId, {
        scopes: ['orders:read', 'orders:write'],
      }).expect(200);
      expect(response.body).toMatchObject({ scopes: ['orders:read', 'orders:write'] });
      await clientCredentials(service.clientId, service.clientSecret, 'orders:write').expect(200);

      await patch(service.clientId, { scopes: ['orders:write'], name: 'renamed' }).expect(200);
      await clientCredentials(service.clientId, service.clientSecret, 'orders:read').expect(400);
      const events = await auditOf('client_updated', service.clientId);
      expect(events.map((event) => event.detail.changed)).toEqual(
        expect.arrayContaining(['scopes', 'name,scopes']),
      );
    });

    it('changes grants: without client_credentials the client gets no token of its own', async () => {
      const other = await createClient(t, adminToken, { name: 'loses-grant' });
      await patch(other.clientId, { grants: ['password', 'refresh_token'] }).expect(200);
      const response = await clientCredentials(other.clientId, other.clientSecret).expect(400);
      expect(response.body).toMatchObject({ error: 'unauthorized_client' });
    });

    it.each([
      ['a field it does not name (public)', { public: true }],
      ['a field it does not name (clientId)', { clientId: 'pc_mine' }],
      ['a field it does not name (secretHash)', { secretHash: '00' }],
      ['a field it does not name (createdAt)', { createdAt: '2000-01-01T00:00:00Z' }],
      ['null scopes', { scopes: null }],
      ['a malformed scope', { scopes: ['orders read'] }],
      ['an unknown grant', { grants: ['implicit'] }],
      ['an empty name', { name: '' }],
      ['nothing to change', {}],
    ])('refuses %s with 400 and changes nothing', async (_case, body) => {
      const response = await patch(service.clientId, body).expect(400);
      expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
      await clientCredentials(service.clientId, service.clientSecret, 'orders:write').expect(200);
    });

    it('never gives a public client the client_credentials grant', async () => {
      const created = await t.http
        .post('/clients')
        .set(bearer(adminToken))
        .send({ name: 'public-app', scopes: [], public: true })
        .expect(201);
      const { clientId } = created.body as ClientBody;
      await patch(clientId, { grants: ['client_credentials', 'password'] }).expect(400);
      await patch(clientId, { grants: ['password'] }).expect(200);
    });

    it('answers 404 for an unknown client and 403 for a non-admin', async () => {
      await patch('pc_unknown', { name: 'x' }).expect(404);
      await patch(service.clientId, { name: 'x' }, userToken).expect(403);
    });
  });

  describe('GET /clients, in pages', () => {
    it('walks every client once, page by page, after the last clientId seen', async () => {
      for (let i = 0; i < 5; i++) {
        await createClient(t, adminToken, { name: `paged-${i}` });
      }
      const all = (await t.http.get('/clients?limit=200').set(bearer(adminToken)).expect(200))
        .body as ClientBody[];
      const walked: string[] = [];
      let after: string | undefined;
      for (;;) {
        const query = after === undefined ? 'limit=2' : `limit=2&after=${after}`;
        const page = (await t.http.get(`/clients?${query}`).set(bearer(adminToken)).expect(200))
          .body as ClientBody[];
        expect(page.length).toBeLessThanOrEqual(2);
        if (page.length === 0) {
          break;
        }
        walked.push(...page.map((client) => client.clientId));
        after = page[page.length - 1].clientId;
      }
      expect(walked).toEqual(all.map((client) => client.clientId));
      expect(walked).toEqual([...walked].sort());
      expect(new Set(walked).size).toBeGreaterThanOrEqual(5);
    });

    it.each([['limit=0'], ['limit=201'], ['limit=two'], ['after=not%20an%20id'], ['offset=2']])(
      'refuses %s with 400',
      async (query) => {
        await t.http.get(`/clients?${query}`).set(bearer(adminToken)).expect(400);
      },
    );

    it('answers 403 to a non-admin', async () => {
      await t.http.get('/clients?limit=2').set(bearer(userToken)).expect(403);
    });
  });
});
