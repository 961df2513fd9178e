import { Inject, Injectable } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { JwtService } from '@nestjs/jwt';
import { KeyObject, randomUUID } from 'node:crypto';
import { appConfig } from '../config/app.config';
import { authConfig } from '../config/auth.config';
import { User } from '../users/entities/user.entity';
import { SigningKeysService } from './signing-keys.service';

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
}

/** Why a token was refused before its signature was checked; never shown to the caller. */
export class RejectedTokenError extends Error {
  override name = 'RejectedTokenError';
}

function joseHeader(rawToken: string): Record<string, unknown> {
  const [encodedHeader] = rawToken.split('.');
  try {
    const header: unknown = JSON.parse(Buffer.from(encodedHeader, 'base64url').toString('utf8'));
    if (header !== null && typeof header === 'object' && !Array.isArray(header)) {
      return header as Record<string, unknown>;
    }
  } catch {
    // fall through: not JSON
  }
  throw new RejectedTokenError('The token header is not a JSON object');
}

export interface IssuedAccessToken {
  accessToken: string;
  expiresIn: number;
  scope: string;
}

@Injectable()
export class AccessTokensService {
  constructor(
    private readonly jwt: JwtService,
    private readonly keys: SigningKeysService,
    @Inject(appConfig.KEY) private readonly app: ConfigType<typeof appConfig>,
    @Inject(authConfig.KEY) private readonly auth: ConfigType<typeof authConfig>,
  ) {}

  async issueForUser(user: User, scope: string): Promise<IssuedAccessToken> {
    const iat = Math.floor(Date.now() / 1000);
    const expiresIn = this.auth.accessTokenTtl;
    const { kid, alg, privateKey } = this.keys.currentSigningKey();
    const accessToken = await this.jwt.signAsync(
      {
        iat,
        exp: iat + expiresIn,
        scope,
        roles: user.roles,
        preferred_username: user.username,
        token_version: user.tokenVersion,
      },
      {
        algorithm: alg,
        privateKey,
        keyid: kid,
        header: { alg, kid, typ: ACCESS_TOKEN_TYPE },
        issuer: this.app.issuer,
        audience: this.app.audience,
        subject: user.id,
        jwtid: randomUUID(),
      },
    );
    return { accessToken, expiresIn, scope };
  }

  /**
   * The key that must have signed this token, judged from its header alone: `typ` must be at+jwt
   * (RFC 9068 section 4: no ID token or other JWT passes as an access token), `alg` the configured
   * one (never `none`, never HS256 against an RSA public key), `kid` one of ours.
   */
  verificationKeyFor(rawToken: string): KeyObject {
    const header = joseHeader(rawToken);
    const typ = typeof header.typ === 'string' ? header.typ.toLowerCase() : undefined;
    if (typ !== ACCESS_TOKEN_TYPE && typ !== `application/${ACCESS_TOKEN_TYPE}`) {
      throw new RejectedTokenError('The token is not an access token (typ)');
    }
    if (header.alg !== this.keys.algorithm) {
      throw new RejectedTokenError('The token is signed with another algorithm');
    }
    const key = typeof header.kid === 'string' ? this.keys.verificationKey(header.kid) : undefined;
    if (!key) {
      throw new RejectedTokenError('The token was signed with an unknown key');
    }
    return key;
  }
}
