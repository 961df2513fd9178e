import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { EntityManager, In, MoreThan, Repository } from 'typeorm';
import { deleteInBatches } from '../database/batched-delete';
import { AccountToken, AccountTokenPurpose } from './entities/account-token.entity';

/** 256 random bits, as the contract asks; base64url, so it travels in a URL as it is. */
const TOKEN_BYTES = 32;

const digest = (token: string): string => createHash('sha256').update(token).digest('hex');

export interface TokenGrant {
  userId: string;
  purpose: AccountTokenPurpose;
  email: string | null;
  ttlMs: number;
}

/**
 * Single-use tokens mailed to users. Only their SHA-256 is stored: with 256 random bits a fast
 * hash is enough, and a database dump holds nothing that can be used. A newer token of a kind
 * voids the user's older ones; spending deletes the row, so "spent" and "unknown" look alike.
 */
@Injectable()
export class AccountTokens {
  constructor(@InjectRepository(AccountToken) private readonly tokens: Repository<AccountToken>) {}

  async issue(manager: EntityManager, grant: TokenGrant): Promise<string> {
    const token = randomBytes(TOKEN_BYTES).toString('base64url');
    const now = Date.now();
    await this.voidAll(manager, grant.userId, [grant.purpose]);
    await manager.insert(AccountToken, {
      id: randomUUID(),
      userId: grant.userId,
      purpose: grant.purpose,
      tokenHash: digest(token),
      email: grant.email,
      expiresAt: now + grant.ttlMs,
      createdAt: now,
    });
    return token;
  }

  /** The live token, without spending it (to check a new password against its account first). */
  find(token: string, purpose: AccountTokenPurpose): Promise<AccountToken | null> {
    return this.tokens.findOneBy({
      tokenHash: digest(token),
      purpose,
      expiresAt: MoreThan(Date.now()),
    });
  }

  /** The token's row if this call spent it; null if it was unknown, expired or already spent. */
  async spend(
    manager: EntityManager,
    token: string,
    purpose: AccountTokenPurpose,
  ): Promise<AccountToken | null> {
    const row = await manager.findOneBy(AccountToken, { tokenHash: digest(token), purpose });
    if (!row || row.expiresAt <= Date.now()) {
      return null;
    }
    // Of two requests spending one token at once, one deletes the row: only it goes on.
    const { affected } = await manager.delete(AccountToken, { id: row.id });
    return affected ? row : null;
  }

  async voidAll(
    manager: EntityManager,
    userId: string,
    purposes: AccountTokenPurpose[],
  ): Promise<void> {
    await manager.delete(AccountToken, { userId, purpose: In(purposes) });
  }

  purgeExpired(now: number): Promise<number> {
    return deleteInBatches(this.tokens.manager.connection, AccountToken, '"expiresAt" <= :now', {
      now,
    });
  }
}
