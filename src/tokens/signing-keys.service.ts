import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { InjectRepository } from '@nestjs/typeorm';
import {
  createHash,
  createPrivateKey,
  createPublicKey,
  createSecretKey,
  generateKeyPairSync,
  JsonWebKey,
  KeyObject,
  randomBytes,
} from 'node:crypto';
import { Repository } from 'typeorm';
import { authConfig } from '../config/auth.config';
import { JwtAlgorithm } from '../config/environment';
import { SigningKey } from './entities/signing-key.entity';

export interface ActiveSigningKey {
  kid: string;
  alg: JwtAlgorithm;
  privateKey: KeyObject;
}

export interface PublicJwk extends JsonWebKey {
  kid: string;
  alg: string;
  use: 'sig';
}

function generateKeyPair(alg: Exclude<JwtAlgorithm, 'HS256'>): {
  publicKey: KeyObject;
  privateKey: KeyObject;
} {
  return alg === 'ES256'
    ? generateKeyPairSync('ec', { namedCurve: 'P-256' })
    : generateKeyPairSync('rsa', { modulusLength: 2048 });
}

/**
 * The keys tokens are signed and verified with. Asymmetric keys live in the database, so every
 * instance signs with the same key and publishes the same JWKS; with HS256 the key is JWT_SECRET
 * and nothing is published. Keys are held as KeyObjects: jsonwebtoken re-parses string keys on
 * every call, which costs far more than the signature itself.
 */
@Injectable()
export class SigningKeysService implements OnModuleInit {
  private signingKey: ActiveSigningKey;
  private readonly verificationKeys = new Map<string, KeyObject>();
  private publishedKeys: PublicJwk[] = [];

  constructor(
    @Inject(authConfig.KEY) private readonly config: ConfigType<typeof authConfig>,
    @InjectRepository(SigningKey) private readonly keys: Repository<SigningKey>,
  ) {}

  get algorithm(): JwtAlgorithm {
    return this.config.jwtAlg;
  }

  async onModuleInit(): Promise<void> {
    const alg = this.config.jwtAlg;
    if (alg === 'HS256') {
      const secret = createSecretKey(Buffer.from(this.config.jwtSecret ?? '', 'utf8'));
      // A kid derived from the secret lets a change of secret fail cleanly as an unknown key.
      const kid = `hs-${createHash('sha256').update(secret.export()).digest('base64url').slice(0, 16)}`;
      this.signingKey = { kid, alg, privateKey: secret };
      this.verificationKeys.set(kid, secret);
      return;
    }
    const stored = await this.loadOrCreate(alg);
    this.signingKey = { kid: stored.kid, alg, privateKey: createPrivateKey(stored.privateKeyPem) };
    const all = await this.keys.find({ where: { alg }, order: { createdAt: 'ASC' } });
    for (const key of all) {
      this.verificationKeys.set(key.kid, createPublicKey(key.publicKeyPem));
    }
    this.publishedKeys = [...this.verificationKeys].map(([kid, publicKey]) => ({
      ...publicKey.export({ format: 'jwk' }),
      kid,
      alg,
      use: 'sig',
    }));
  }

  currentSigningKey(): ActiveSigningKey {
    return this.signingKey;
  }

  verificationKey(kid: string): KeyObject | undefined {
    return this.verificationKeys.get(kid);
  }

  jwks(): { keys: PublicJwk[] } {
    return { keys: this.publishedKeys };
  }

  /**
   * First start: generate a pair and store it. Instances starting together may each insert one;
   * all of them then sign with the oldest, so they agree.
   */
  private async loadOrCreate(alg: Exclude<JwtAlgorithm, 'HS256'>): Promise<SigningKey> {
    const existing = await this.oldest(alg);
    if (existing) {
      return existing;
    }
    const { publicKey, privateKey } = generateKeyPair(alg);
    await this.keys.insert({
      kid: randomBytes(12).toString('base64url'),
      alg,
      publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
      privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    });
    const chosen = await this.oldest(alg);
    if (!chosen) {
      throw new Error('The signing key just stored could not be read back');
    }
    return chosen;
  }

  private oldest(alg: string): Promise<SigningKey | null> {
    return this.keys
      .createQueryBuilder('key')
      .addSelect('key.privateKeyPem')
      .where('key.alg = :alg', { alg })
      .orderBy('key.createdAt', 'ASC')
      .addOrderBy('key.kid', 'ASC')
      .getOne();
  }
}
