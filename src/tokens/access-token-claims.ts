import { CLOCK_SKEW_SECONDS } from './clock-skew';

/** RFC 9068 `typ` of a JWT access token. */
export const ACCESS_TOKEN_TYPE = 'at+jwt';

export interface AccessTokenClaims {
  iss: string;
  sub: string;
  aud: string;
  exp: number;
  iat: number;
  jti: string;
  scope: string;
  roles?: string[];
  preferred_username?: string;
  client_id?: string;
  token_version?: number;
  /** Revoking this session (refresh-token family) ends the token. */
  sid?: string;
  /** RFC 8176 authentication methods of the session's login. */
  amr?: string[];
}

/** Why a token was refused; never shown to the caller. */
export class RejectedTokenError extends Error {
  override name = 'RejectedTokenError';
}

const isOptional = (value: unknown, type: 'string' | 'number'): boolean =>
  value === undefined || typeof value === type;

const isOptionalStrings = (value: unknown): boolean =>
  value === undefined || (Array.isArray(value) && value.every((item) => typeof item === 'string'));

// What a signature cannot vouch for: the claims relied on are present and typed, and `iat` is not
// in the future (the JWT library does not check that).
export function accessTokenClaims(payload: unknown, lifetimeSeconds: number): AccessTokenClaims {
  const claims = (typeof payload === 'object' && payload !== null ? payload : {}) as Record<
    keyof AccessTokenClaims,
    unknown
  >;
  if (
    typeof claims.sub !== 'string' ||
    typeof claims.jti !== 'string' ||
    typeof claims.scope !== 'string' ||
    typeof claims.iat !== 'number' ||
    typeof claims.exp !== 'number' ||
    !isOptional(claims.sid, 'string') ||
    !isOptional(claims.client_id, 'string') ||
    !isOptional(claims.preferred_username, 'string') ||
    !isOptional(claims.token_version, 'number') ||
    !isOptionalStrings(claims.amr)
  ) {
    throw new RejectedTokenError('The token lacks a claim the service relies on');
  }
  if (claims.iat > Math.floor(Date.now() / 1000) + CLOCK_SKEW_SECONDS) {
    throw new RejectedTokenError('The token was issued in the future');
  }
  // Only a holder of a signing key could mint a longer one; that is when it matters.
  if (claims.exp - claims.iat > lifetimeSeconds + CLOCK_SKEW_SECONDS) {
    throw new RejectedTokenError('The token lives longer than the service issues them');
  }
  return claims as unknown as AccessTokenClaims;
}

/** A client_credentials token: the client is its own subject and no user is named. */
export function isClientToken(claims: AccessTokenClaims): boolean {
  return (
    claims.client_id !== undefined &&
    claims.sub === claims.client_id &&
    claims.preferred_username === undefined
  );
}
