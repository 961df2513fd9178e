import { Inject, Injectable } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { createDecoder, createVerifier, TokenError } from 'fast-jwt';
import { JWTHeaderParameters, JWTPayload, SignJWT } from 'jose';
import { KeyObject, randomUUID } from 'node:crypto';
import { appConfig } from '../config/app.config';
import { authConfig } from '../config/auth.config';
import { User } from '../users/entities/user.entity';
import { CLOCK_SKEW_SECONDS } from './clock-skew';
import { ActiveSigningKey, SigningKeysService } from './signing-keys.service';

/** Splits and parses a token without trusting it, to read the header that picks the key. */
const decodeToken = createDecoder({ complete: true });

const MAX_VERIFIED_HEADERS = 32;

type TokenVerifier = (rawToken: string) => Partial<Record<keyof AccessTokenClaims, unknown>>;

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
  /** The user's tokenVersion when the token was issued. */
  token_version?: number;
  /** The session (refresh-token family) the token belongs to; revoking it ends the token. */
  sid?: string;
}

/** A token's `jti` and `iat` chosen before it is signed. */
export interface PlannedIssue {
  jti: string;
  iat: number;
}

/** Why a token was refused; never shown to the caller. */
export class RejectedTokenError extends Error {
  override name = 'RejectedTokenError';
}

export interface IssuedAccessToken {
  accessToken: string;
  expiresIn: number;
  scope: string;
}

@Injectable()
export class AccessTokensService {
  /** fast-jwt checks a key and builds its KeyObject once, when the key's verifier is made. */
  private readonly verifiers = new WeakMap<KeyObject, TokenVerifier>();
  /**
   * Every token one key signs has the same header ({alg, kid, typ}), so each is parsed once: kept
   * only once a token carrying it verified, which no one without our keys can make happen. Its
   * key is still looked up for every token.
   */
  private readonly verifiedHeaders = new Map<string, Readonly<JWTHeaderParameters>>();

  constructor(
    private readonly keys: SigningKeysService,
    @Inject(appConfig.KEY) private readonly app: ConfigType<typeof appConfig>,
    @Inject(authConfig.KEY) private readonly auth: ConfigType<typeof authConfig>,
  ) {}

  async issueForUser(
    user: User,
    scope: string,
    binding: { sessionId?: string; clientId?: string | null; planned?: PlannedIssue } = {},
  ): Promise<IssuedAccessToken> {
    return this.issue(
      user.id,
      {
        scope,
        roles: user.roles,
        preferred_username: user.username,
        token_version: user.tokenVersion,
        sid: binding.sessionId,
        client_id: binding.clientId ?? undefined,
      },
      binding.planned,
    );
  }

  /** client_credentials: the client is the subject (RFC 9068 section 2.2). */
  issueForClient(clientId: string, scope: string): Promise<IssuedAccessToken> {
    return this.issue(clientId, { scope, client_id: clientId });
  }

  /**
   * `planned` fixes `jti` and `iat`, so a refresh replayed within REFRESH_REUSE_GRACE gets the
   * very token it lost (RS256 and EdDSA signatures are deterministic).
   */
  private async issue(
    subject: string,
    claims: Omit<AccessTokenClaims, 'iss' | 'sub' | 'aud' | 'exp' | 'iat' | 'jti'>,
    planned: PlannedIssue = { jti: randomUUID(), iat: Math.floor(Date.now() / 1000) },
  ): Promise<IssuedAccessToken> {
    const { iat, jti } = planned;
    const expiresIn = this.auth.accessTokenTtl;
    const { kid, alg, privateKey } = this.keys.currentSigningKey();
    const accessToken = await this.sign(
      { ...claims, iat, exp: iat + expiresIn },
      { kid, alg, privateKey, subject, jwtid: jti },
    );
    return {
      accessToken,
      expiresIn: iat + expiresIn - Math.floor(Date.now() / 1000),
      scope: claims.scope,
    };
  }

  /**
   * The one verification of an access token, for the JWT guard and for everything else that reads
   * one: the header first (typ at+jwt, RFC 9068 section 4; alg pinned to the configured one; kid
   * one of ours), then the signature, iss, aud, exp, nbf and iat, with CLOCK_SKEW_SECONDS of leeway.
   * Account and revocation checks are the caller's.
   */
  async verify(rawToken: string): Promise<AccessTokenClaims> {
    let payload: Partial<Record<keyof AccessTokenClaims, unknown>>;
    try {
      const headerSegment = rawToken.slice(0, rawToken.indexOf('.'));
      const known = this.verifiedHeaders.get(headerSegment);
      const header = known ?? this.decodeHeader(rawToken);
      const kid = this.keyIdOf(header);
      // A key this instance holds is found without a promise, on every request; only a kid it
      // does not know (another instance's new key) waits for a reload.
      const key = this.keys.verificationKey(kid) ?? (await this.keys.findVerificationKey(kid));
      if (!key) {
        throw new RejectedTokenError('The token was signed with an unknown key');
      }
      payload = this.verifierFor(key)(rawToken);
      if (!known) {
        this.rememberVerifiedHeader(headerSegment, header);
      }
    } catch (error) {
      if (error instanceof TokenError) {
        throw new RejectedTokenError(error.message);
      }
      throw error;
    }
    // fast-jwt checks iat only against a maximum age; the contract refuses one from the future too.
    if (typeof payload.iat !== 'number') {
      throw new RejectedTokenError('The token has no numeric iat');
    }
    if (payload.iat > Math.floor(Date.now() / 1000) + CLOCK_SKEW_SECONDS) {
      throw new RejectedTokenError('The token was issued in the future');
    }
    if (typeof payload.sub !== 'string' || typeof payload.jti !== 'string') {
      throw new RejectedTokenError('The token has no string sub or jti');
    }
    return payload as unknown as AccessTokenClaims;
  }

  private decodeHeader(rawToken: string): Readonly<JWTHeaderParameters> {
    const { header } = decodeToken(rawToken) as { header: JWTHeaderParameters };
    return Object.freeze(header);
  }

  private rememberVerifiedHeader(segment: string, header: Readonly<JWTHeaderParameters>): void {
    // A handful of keys are live at once; a full map means keys rotated many times since.
    if (this.verifiedHeaders.size >= MAX_VERIFIED_HEADERS) {
      this.verifiedHeaders.clear();
    }
    this.verifiedHeaders.set(segment, header);
  }

  /**
   * fast-jwt rather than jose to verify: it checks signatures synchronously, where jose sends RSA,
   * EC and EdDSA checks to libuv's thread pool (argon2 and sqlite3's pool) and costs two to four
   * times as much CPU per token (issue 5, docs/PERFORMANCE.md).
   */
  private verifierFor(key: KeyObject): TokenVerifier {
    let verifier = this.verifiers.get(key);
    if (!verifier) {
      verifier = createVerifier({
        key: key.type === 'secret' ? key.export() : key.export({ type: 'spki', format: 'pem' }),
        algorithms: [this.keys.algorithm],
        checkTyp: ACCESS_TOKEN_TYPE,
        allowedIss: this.app.issuer,
        allowedAud: this.app.audience,
        clockTolerance: CLOCK_SKEW_SECONDS * 1000,
        // fast-jwt checks iss and aud only when present: required, a token without them fails.
        requiredClaims: ['iss', 'aud', 'exp', 'iat', 'sub', 'jti'],
      }) as TokenVerifier;
      this.verifiers.set(key, verifier);
    }
    return verifier;
  }

  /** jose rather than jsonwebtoken: it signs EdDSA too, so every algorithm takes one path. */
  private sign(
    payload: JWTPayload,
    options: ActiveSigningKey & { subject: string; jwtid: string },
  ): Promise<string> {
    const { kid, alg, privateKey, subject, jwtid } = options;
    return new SignJWT(payload)
      .setProtectedHeader({ alg, kid, typ: ACCESS_TOKEN_TYPE })
      .setIssuer(this.app.issuer)
      .setAudience(this.app.audience)
      .setSubject(subject)
      .setJti(jwtid)
      .sign(privateKey);
  }

  /**
   * The kid of the key that must have signed this token, judged from its header alone: `typ`
   * at+jwt (RFC 9068 section 4: no ID token or other JWT passes as an access token), `alg` the
   * configured one (never `none`, never HS256 against a public key). All of it before any signature
   * check, and before the key reload that an unknown kid may cause.
   */
  private keyIdOf(header: JWTHeaderParameters): string {
    const typ = typeof header.typ === 'string' ? header.typ.toLowerCase() : undefined;
    if (typ !== ACCESS_TOKEN_TYPE && typ !== `application/${ACCESS_TOKEN_TYPE}`) {
      throw new RejectedTokenError('The token is not an access token (typ)');
    }
    if (header.alg !== this.keys.algorithm) {
      throw new RejectedTokenError('The token is signed with another algorithm');
    }
    if (typeof header.kid !== 'string') {
      throw new RejectedTokenError('The token was signed with an unknown key');
    }
    return header.kid;
  }
}
