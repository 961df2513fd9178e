import { bearer, Credentials, HttpOf } from './test-app';

export interface TokenPair {
  access_token: string;
  refresh_token: string;
  expires_in: number;
  scope: string;
  token_type: string;
}

export interface RegisteredClient {
  clientId: string;
  clientSecret: string;
  name: string;
  scopes: string[];
  grants: string[];
}

export const basic = (clientId: string, clientSecret: string) => ({
  Authorization: `Basic ${Buffer.from(`${clientId}:${clientSecret}`).toString('base64')}`,
});

export async function passwordGrant(
  t: HttpOf,
  credentials: Credentials,
  extra: Record<string, string> = {},
  headers: Record<string, string> = {},
): Promise<TokenPair> {
  const response = await t.http
    .post('/auth/token')
    .set(headers)
    .type('form')
    .send({
      grant_type: 'password',
      username: credentials.username,
      password: credentials.password,
      ...extra,
    })
    .expect(200);
  return response.body as TokenPair;
}

export function refreshGrant(t: HttpOf, refreshToken: string, extra: Record<string, string> = {}) {
  return t.http
    .post('/auth/token')
    .type('form')
    .send({ grant_type: 'refresh_token', refresh_token: refreshToken, ...extra });
}

export async function createClient(
  t: HttpOf,
  adminToken: string,
  body: { name?: string; scopes?: string[]; grants?: string[] } = {},
): Promise<RegisteredClient> {
  const response = await t.http
    .post('/clients')
    .set(bearer(adminToken))
    .send({ name: 'test-service', scopes: ['orders:read', 'orders:write'], ...body })
    .expect(201);
  return response.body as RegisteredClient;
}
