import { Inject, Injectable } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import * as argon2 from 'argon2';
import { randomBytes } from 'node:crypto';
import { operationsConfig } from '../config/operations.config';
import { PasswordConfig, passwordConfig } from '../config/password.config';
import { ConcurrencyLimit } from './concurrency-limit';
import { normalizePassword } from './password-policy.service';

// PHC string: `$argon2id$v=19$m=19456,t=2,p=1$salt$hash`; argon2 0.4x writes the parameters as
// m,p,t, so they are read by name, not position.
const PHC_ARGON2ID = /^\$argon2id\$v=(\d+)\$([a-z]=\d+(?:,[a-z]=\d+)*)\$/;

const phcBase64 = (bytes: Buffer): string => bytes.toString('base64').replace(/=+$/, '');

// Costs one whole argon2id verification, like a real account's, but is assembled from random bytes
// rather than computed, so start-up spends no hash on it; matching it means a 256-bit preimage.
function unmatchableHash(parameters: PasswordConfig['argon2']): string {
  const { memoryCost, timeCost, parallelism } = parameters;
  return (
    `$argon2id$v=19$m=${memoryCost},t=${timeCost},p=${parallelism}` +
    `$${phcBase64(randomBytes(16))}$${phcBase64(randomBytes(32))}`
  );
}

@Injectable()
export class PasswordHasher {
  private readonly dummyHash: string;
  private readonly limit: ConcurrencyLimit;

  constructor(
    @Inject(passwordConfig.KEY) private readonly config: ConfigType<typeof passwordConfig>,
    @Inject(operationsConfig.KEY)
    operations: Pick<ConfigType<typeof operationsConfig>, 'argon2MaxConcurrency'>,
  ) {
    this.limit = new ConcurrencyLimit(operations.argon2MaxConcurrency);
    this.dummyHash = unmatchableHash(config.argon2);
  }

  get queueDepth(): number {
    return this.limit.queued;
  }

  get maxConcurrency(): number {
    return this.limit.max;
  }

  hash(password: string): Promise<string> {
    return this.limit.run(
      () =>
        argon2.hash(normalizePassword(password), { type: argon2.argon2id, ...this.config.argon2 }),
      'background',
    );
  }

  /** A malformed or foreign stored hash is a failed login, never an exception. */
  async verify(hash: string, password: string): Promise<boolean> {
    try {
      return await this.limit.run(() => argon2.verify(hash, normalizePassword(password)));
    } catch {
      return false;
    }
  }

  /** An unknown username costs the same time as a wrong password: timing reveals no accounts. */
  async verifyAgainstDummy(password: string): Promise<false> {
    await this.verify(this.dummyHash, password);
    return false;
  }

  needsRehash(hash: string): boolean {
    const match = PHC_ARGON2ID.exec(hash);
    if (!match) {
      return true;
    }
    const params = new Map(
      match[2].split(',').map((pair) => [pair[0], Number(pair.slice(2))] as const),
    );
    const wanted = this.config.argon2;
    const below = (name: string, floor: number) => (params.get(name) ?? 0) < floor;
    return (
      Number(match[1]) < 0x13 ||
      below('m', wanted.memoryCost) ||
      below('t', wanted.timeCost) ||
      below('p', wanted.parallelism)
    );
  }
}
