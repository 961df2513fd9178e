import { bearer, HttpOf } from './test-app';

export interface CreatedPersonalAccessToken {
  id: string;
  name: string;
  token: string;
  scopes: string[];
  createdAt: string;
  expiresAt: string;
  lastUsedAt: string | null;
}

let counter = 0;

/** POST /users/me/tokens with a session access token; 201 expected. */
export async function createPersonalAccessToken(
  t: HttpOf,
  sessionToken: string,
  body: { name?: string; scopes?: string[]; expiresAt?: string } = {},
): Promise<CreatedPersonalAccessToken> {
  counter += 1;
  const response = await t.http
    .post('/users/me/tokens')
    .set(bearer(sessionToken))
    .send({ name: `script ${counter}`, ...body })
    .expect(201);
  return response.body as CreatedPersonalAccessToken;
}

/** The same token with its last character changed: the checksum no longer matches. */
export function withBadChecksum(token: string): string {
  return `${token.slice(0, -1)}${token.endsWith('a') ? 'b' : 'a'}`;
}
