import { Inject, Injectable } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { JwtService, JwtVerifyOptions } from '@nestjs/jwt';
import { randomUUID } from 'node:crypto';
import { appConfig } from '../config/app.config';
import { authConfig } from '../config/auth.config';
import { SigningKeysService } from '../keys/signing-keys.service';
import { User } from '../users/entities/user.entity';
import {
  ACCESS_TOKEN_TYPE,
  AccessTokenClaims,
  accessTokenClaims,
  RejectedTokenError,
} from './access-token-claims';
import { CLOCK_SKEW_SECONDS } from './clock-skew';
import { signEdDsa, verifyEdDsa } from './eddsa-jwt';

/** A token's `jti` and `iat` chosen before it is signed. */
export interface PlannedIssue {
  jti: string;
  iat: number;
}

export interface IssuedAccessToken {
  accessToken: string;
  expiresIn: number;
  scope: string;
}

type IssuedClaims = Omit<AccessTokenClaims, 'iss' | 'sub' | 'aud' | 'exp' | 'iat' | 'jti'>;

/** jsonwebtoken's checks of an access token, beside the key: the same for every reader. */
export interface AccessTokenChecks {
  algorithms: NonNullable<JwtVerifyOptions['algorithms']>;
  issuer: string;
  audience: string;
  clockTolerance: number;
}

/** Signs access tokens (RFC 9068) and verifies them for every reader but the bearer strategy. */
@Injectable()
export class AccessTokensService {
  readonly verifyOptions: AccessTokenChecks;

  constructor(
    private readonly keys: SigningKeysService,
    private readonly jwt: JwtService,
    @Inject(appConfig.KEY) private readonly app: ConfigType<typeof appConfig>,
    @Inject(authConfig.KEY) private readonly auth: ConfigType<typeof authConfig>,
  ) {
    const alg = auth.jwtAlg;
    this.verifyOptions = {
      algorithms: alg === 'EdDSA' ? [] : [alg],
      issuer: app.issuer,
      audience: app.audience,
      clockTolerance: CLOCK_SKEW_SECONDS,
    };
  }

  issueForUser(
    user: User,
    scope: string,
    binding: {
      sessionId?: string;
      clientId?: string | null;
      amr?: readonly string[];
      planned?: PlannedIssue;
    } = {},
  ): Promise<IssuedAccessToken> {
    const claims: IssuedClaims = {
      scope,
      roles: user.roles,
      preferred_username: user.username,
      token_version: user.tokenVersion,
      sid: binding.sessionId,
      client_id: binding.clientId ?? undefined,
      amr: binding.amr && [...binding.amr],
    };
    return this.issue(user.id, claims, binding.planned);
  }

  /** client_credentials: the client is the subject (RFC 9068 section 2.2). */
  issueForClient(clientId: string, scope: string): Promise<IssuedAccessToken> {
    return this.issue(clientId, { scope, client_id: clientId });
  }

  /**
   * The full check of an access token, for introspection and revocation: header, signature, iss,
   * aud, exp, nbf and iat with CLOCK_SKEW_SECONDS of leeway. Account and revocation checks are
   * the caller's.
   */
  async verify(rawToken: string): Promise<AccessTokenClaims> {
    // Failing to find the key may be an outage; once it is found, any failure is the token's.
    const key = await this.keys.verificationKeyFor(rawToken);
    let payload: unknown;
    try {
      payload =
        this.auth.jwtAlg === 'EdDSA'
          ? await verifyEdDsa(rawToken, key, this.verifyOptions)
          : await this.jwt.verifyAsync<object>(rawToken, this.verifyOptions);
    } catch (error) {
      throw new RejectedTokenError(error instanceof Error ? error.message : String(error));
    }
    return accessTokenClaims(payload, this.auth.accessTokenTtl);
  }

  /** verify(), with undefined for a token that is not a valid access token of ours. */
  async claimsOf(rawToken: string): Promise<AccessTokenClaims | undefined> {
    try {
      return await this.verify(rawToken);
    } catch (error) {
      if (error instanceof RejectedTokenError) {
        return undefined;
      }
      throw error;
    }
  }

  /**
   * `planned` fixes `jti` and `iat`, so a refresh replayed within REFRESH_REUSE_GRACE gets the
   * very token it lost (RS256 and EdDSA signatures are deterministic).
   */
  private async issue(
    subject: string,
    claims: IssuedClaims,
    planned?: PlannedIssue,
  ): Promise<IssuedAccessToken> {
    // One reading of the clock: a new token's expires_in is its whole lifetime even when the
    // signing ends in the next second.
    const now = Math.floor(Date.now() / 1000);
    const { iat, jti } = planned ?? { jti: randomUUID(), iat: now };
    const expiresIn = this.auth.accessTokenTtl;
    const payload = {
      ...claims,
      iss: this.app.issuer,
      sub: subject,
      aud: this.app.audience,
      iat,
      exp: iat + expiresIn,
      jti,
    };
    const { kid, alg, privateKey } = this.keys.currentSigningKey();
    const accessToken =
      alg === 'EdDSA'
        ? await signEdDsa(payload, { kid, typ: ACCESS_TOKEN_TYPE }, privateKey)
        : await this.jwt.signAsync(payload, {
            algorithm: alg,
            keyid: kid,
            header: { alg, typ: ACCESS_TOKEN_TYPE },
          });
    return {
      accessToken,
      // What is left of it: a grace replay's token was signed seconds ago.
      expiresIn: iat + expiresIn - now,
      scope: claims.scope,
    };
  }
}
