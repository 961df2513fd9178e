import { Secret, TOTP } from 'otpauth';

/** RFC 6238's defaults, which every authenticator app reads: SHA-1, 6 digits, 30 s steps. */
const PERIOD_SECONDS = 30;
const DIGITS = 6;
/** One step either way: a phone's clock a little off, or a code typed as it changed. */
const DRIFT_STEPS = 1;
/** RFC 4226 section 4 recommends 160 bits. */
const SECRET_BYTES = 20;

export const TOTP_CODE = /^\d{6}$/;

function totp(secret: string, account = '', issuer = ''): TOTP {
  return new TOTP({ issuer, label: account, secret, digits: DIGITS, period: PERIOD_SECONDS });
}

export function newTotpSecret(): string {
  return new Secret({ size: SECRET_BYTES }).base32;
}

/** The `otpauth://totp/...` URI an authenticator app scans. */
export function otpauthUri(secret: string, account: string, issuer: string): string {
  return totp(secret, account, issuer).toString();
}

/** The time step `code` belongs to, within the allowed drift of `now`; null if none. */
export function acceptedStep(secret: string, code: string, now: number): number | null {
  // otpauth compares byte buffers; only ASCII digits keep its lengths equal.
  if (!TOTP_CODE.test(code)) {
    return null;
  }
  const delta = totp(secret).validate({ token: code, timestamp: now, window: DRIFT_STEPS });
  return delta === null ? null : TOTP.counter({ period: PERIOD_SECONDS, timestamp: now }) + delta;
}
