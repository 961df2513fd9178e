import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import * as argon2 from 'argon2';
import { randomBytes } from 'node:crypto';
import { passwordConfig } from '../config/password.config';
import { normalizePassword } from './password-policy.service';

const PHC_ARGON2ID = /^\$argon2id\$v=(\d+)\$m=(\d+),t=(\d+),p=(\d+)\$/;

@Injectable()
export class PasswordHasher implements OnModuleInit {
  private dummyHash = '';

  constructor(
    @Inject(passwordConfig.KEY) private readonly config: ConfigType<typeof passwordConfig>,
  ) {}

  async onModuleInit(): Promise<void> {
    this.dummyHash = await this.hash(randomBytes(32).toString('base64url'));
  }

  hash(password: string): Promise<string> {
    return argon2.hash(normalizePassword(password), {
      type: argon2.argon2id,
      ...this.config.argon2,
    });
  }

  /** A malformed or foreign stored hash is a failed login, never an exception. */
  async verify(hash: string, password: string): Promise<boolean> {
    try {
      return await argon2.verify(hash, normalizePassword(password));
    } catch {
      return false;
    }
  }

  /**
   * Spends one verification on a hash nobody can match, so that an unknown username costs the
   * same time as a wrong password and response timing does not reveal which accounts exist.
   */
  async verifyAgainstDummy(password: string): Promise<false> {
    await this.verify(this.dummyHash, password);
    return false;
  }

  /** True when the hash is not argon2id or is weaker than the configured parameters. */
  needsRehash(hash: string): boolean {
    const match = PHC_ARGON2ID.exec(hash);
    if (!match) {
      return true;
    }
    const [, version, memoryCost, timeCost, parallelism] = match.map(Number);
    const wanted = this.config.argon2;
    return (
      version < 0x13 ||
      memoryCost < wanted.memoryCost ||
      timeCost < wanted.timeCost ||
      parallelism < wanted.parallelism
    );
  }
}
