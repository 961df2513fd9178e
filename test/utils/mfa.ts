import { TOTP } from 'otpauth';
import { TotpClock } from '../../src/mfa/totp-clock';
import { bearer, Credentials, HttpOf, TestApp } from './test-app';

export const MFA_GRANT = 'urn:portcullis:params:oauth:grant-type:mfa';
const STEP_MS = 30_000;

export interface Enrolled {
  secret: string;
  recoveryCodes: string[];
}

/**
 * Holds every app's TOTP clock in the middle of a step (no code of a test straddles an edge);
 * `code(offset)` is the authenticator's code that many steps from it, `advance` moves it on.
 */
export function frozenTotp(...apps: TestApp[]) {
  let now = Math.floor(Date.now() / STEP_MS) * STEP_MS + STEP_MS / 2;
  for (const t of apps) {
    jest.spyOn(t.app.get(TotpClock), 'now').mockImplementation(() => now);
  }
  return {
    code: (secret: string, offsetSteps = 0) =>
      new TOTP({ secret }).generate({ timestamp: now + offsetSteps * STEP_MS }),
    advance: (steps: number) => {
      now += steps * STEP_MS;
    },
  };
}

/** Enrols and confirms a TOTP factor with the code `confirmWith` returns for its secret. */
export async function enrol(
  t: HttpOf,
  user: Credentials,
  accessToken: string,
  confirmWith: (secret: string) => string,
): Promise<Enrolled> {
  const started = await t.http
    .post('/users/me/mfa/totp')
    .set(bearer(accessToken))
    .send({ currentPassword: user.password })
    .expect(200);
  const { secret } = started.body as { secret: string };
  const confirmed = await t.http
    .post('/users/me/mfa/totp/confirm')
    .set(bearer(accessToken))
    .send({ code: confirmWith(secret) })
    .expect(200);
  return { secret, ...(confirmed.body as { recoveryCodes: string[] }) };
}

/** The password step of an account with a second factor: its mfa_token. */
export async function mfaToken(
  t: HttpOf,
  user: Credentials,
  headers: Record<string, string> = {},
  extra: Record<string, string> = {},
): Promise<string> {
  const response = await t.http
    .post('/auth/token')
    .set(headers)
    .type('form')
    .send({ grant_type: 'password', username: user.username, password: user.password, ...extra })
    .expect(403);
  return (response.body as { mfa_token: string }).mfa_token;
}

export function mfaGrant(
  t: HttpOf,
  token: string,
  code: { otp: string } | { recovery_code: string },
  headers: Record<string, string> = {},
) {
  return t.http
    .post('/auth/token')
    .set(headers)
    .type('form')
    .send({ grant_type: MFA_GRANT, mfa_token: token, ...code });
}
