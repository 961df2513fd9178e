import {
  ConflictException,
  Injectable,
  NotFoundException,
  UnauthorizedException,
} from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import { EntityManager, IsNull, Repository } from 'typeorm';
import { ADMIN_ROLE } from '../auth/roles';
import { RequestValidationException } from '../common/request-validation.exception';
import { deleteInBatches } from '../database/batched-delete';
import { isForeignKeyViolation } from '../database/constraint-violations';
import { exclusively } from '../database/exclusively';
import { Transactions } from '../database/transactions';
import { Initiator } from '../events/security-event';
import { SecurityEvents } from '../events/security-events.service';
import { ADMIN_SCOPE, PROFILE_SCOPE } from '../oauth/scopes';
import { User } from '../users/entities/user.entity';
import { CreatePersonalAccessTokenDto } from './dto/create-personal-access-token.dto';
import { PersonalAccessToken } from './entities/personal-access-token.entity';
import { hashPersonalAccessToken, newPersonalAccessToken } from './personal-access-token';

const DAY_MS = 86_400_000;
export const DEFAULT_LIFETIME_MS = 90 * DAY_MS;
export const MAX_LIFETIME_MS = 365 * DAY_MS;
/** Live (unexpired, unrevoked) tokens per user: enough for every script, not for a runaway loop. */
export const MAX_LIVE_TOKENS_PER_USER = 50;
/** Expired and revoked rows stay this long, so a reported leak can still be looked up. */
export const ENDED_TOKEN_RETENTION_MS = 30 * DAY_MS;

/** Who ended a token, for its pat_revoked event. */
export type RevokedBy = 'owner' | 'admin' | 'revocation_endpoint';

const LIVE_TOKENS_SQL = '"revokedAt" IS NULL AND "expiresAt" > :now';

export function isPersonalAccessTokenLive(token: PersonalAccessToken, nowMs: number): boolean {
  // new Date(): a test's fake Date leaves TypeORM's SQLite string as it was stored.
  return token.revokedAt === null && new Date(token.expiresAt).getTime() > nowMs;
}

function invalidField(field: string, message: string): RequestValidationException {
  return new RequestValidationException([{ field, message }]);
}

@Injectable()
export class PersonalAccessTokensService {
  constructor(
    @InjectRepository(PersonalAccessToken)
    private readonly tokens: Repository<PersonalAccessToken>,
    private readonly events: SecurityEvents,
    private readonly transactions: Transactions,
  ) {}

  /** The token itself is in the answer only: the database keeps its hash. */
  async create(
    owner: Pick<User, 'id' | 'roles'>,
    input: CreatePersonalAccessTokenDto,
    initiator: Initiator,
  ): Promise<{ row: PersonalAccessToken; token: string }> {
    const now = Date.now();
    const scopes = input.scopes ?? [PROFILE_SCOPE];
    if (scopes.includes(ADMIN_SCOPE) && !owner.roles.includes(ADMIN_ROLE)) {
      throw invalidField('scopes', 'The admin scope needs the admin role');
    }
    const token = newPersonalAccessToken();
    const row: PersonalAccessToken = {
      id: randomUUID(),
      userId: owner.id,
      name: input.name,
      tokenHash: hashPersonalAccessToken(token),
      scopes,
      createdAt: new Date(now),
      expiresAt: this.expiryOf(input.expiresAt, now),
      lastUsedAt: null,
      revokedAt: null,
    };
    try {
      await this.transactions.run((manager) =>
        // Counted and inserted one request at a time per user, on every instance.
        exclusively(manager, `portcullis.personal-access-tokens.${owner.id}`, async (locked) => {
          await this.assertBelowCap(locked, owner.id, row.createdAt);
          await locked.insert(PersonalAccessToken, row);
          await this.events.publish(
            {
              type: 'pat_created',
              userId: owner.id,
              context: initiator.context,
              detail: {
                actorId: initiator.actorId ?? null,
                tokenId: row.id,
                name: row.name,
                scopes: scopes.join(' '),
                expiresAt: row.expiresAt.toISOString(),
              },
            },
            locked,
          );
        }),
      );
    } catch (error) {
      // The account was deleted after this request's checks.
      throw isForeignKeyViolation(error) ? new UnauthorizedException() : error;
    }
    return { row, token };
  }

  /** Unrevoked tokens, expired ones included until purged; newest first. */
  listForUser(userId: string, transaction?: EntityManager): Promise<PersonalAccessToken[]> {
    return (transaction ?? this.tokens.manager).find(PersonalAccessToken, {
      where: { userId, revokedAt: IsNull() },
      order: { createdAt: 'DESC', id: 'ASC' },
    });
  }

  /** For an administrator: 404 for an unknown user rather than an empty list. */
  async listForExistingUser(userId: string): Promise<PersonalAccessToken[]> {
    // A read of the account's row: UsersModule imports this module (a disable ends the tokens),
    // so UsersService cannot be injected here.
    if (!(await this.tokens.manager.existsBy(User, { id: userId }))) {
      throw new NotFoundException('No user has that id');
    }
    return this.listForUser(userId);
  }

  findByHash(tokenHash: string): Promise<PersonalAccessToken | null> {
    return this.tokens.findOneBy({ tokenHash });
  }

  async revokeForUser(
    userId: string,
    tokenId: string,
    revokedBy: RevokedBy,
    initiator: Initiator,
  ): Promise<void> {
    const revoked = await this.revokeWhere({ id: tokenId, userId }, revokedBy, initiator);
    if (!revoked) {
      throw new NotFoundException('No unrevoked personal access token of that user has that id');
    }
  }

  /** RFC 7009 through /auth/revoke: nothing to say when the token is unknown or ended already. */
  async revokePresented(token: string, initiator: Initiator): Promise<void> {
    const tokenHash = hashPersonalAccessToken(token);
    await this.revokeWhere({ tokenHash }, 'revocation_endpoint', initiator);
  }

  /** A disable: re-enabling the account does not bring them back. */
  async revokeAllForUser(userId: string, transaction: EntityManager): Promise<void> {
    await transaction.update(
      PersonalAccessToken,
      { userId, revokedAt: IsNull() },
      { revokedAt: new Date() },
    );
  }

  purge(now: number): Promise<number> {
    const cutoff = new Date(now - ENDED_TOKEN_RETENTION_MS);
    return deleteInBatches(
      this.tokens.manager.connection,
      PersonalAccessToken,
      '"revokedAt" < :cutoff OR "expiresAt" < :cutoff',
      { cutoff },
    );
  }

  private expiryOf(requested: string | undefined, now: number): Date {
    if (requested === undefined) {
      return new Date(now + DEFAULT_LIFETIME_MS);
    }
    const expiresAt = new Date(requested);
    if (expiresAt.getTime() <= now) {
      throw invalidField('expiresAt', 'expiresAt must be in the future');
    }
    if (expiresAt.getTime() > now + MAX_LIFETIME_MS) {
      throw invalidField('expiresAt', 'expiresAt must be at most 365 days ahead');
    }
    return expiresAt;
  }

  private async assertBelowCap(manager: EntityManager, userId: string, now: Date): Promise<void> {
    const live = await manager
      .createQueryBuilder(PersonalAccessToken, 'token')
      .where('"userId" = :userId', { userId })
      .andWhere(LIVE_TOKENS_SQL, { now })
      .getCount();
    if (live >= MAX_LIVE_TOKENS_PER_USER) {
      throw new ConflictException(
        `At most ${MAX_LIVE_TOKENS_PER_USER} personal access tokens can be live at once: revoke one first`,
      );
    }
  }

  private async revokeWhere(
    where: { id: string; userId: string } | { tokenHash: string },
    revokedBy: RevokedBy,
    initiator: Initiator,
  ): Promise<boolean> {
    return this.transactions.run(async (manager) => {
      const token = await manager.findOneBy(PersonalAccessToken, { ...where, revokedAt: IsNull() });
      if (!token) {
        return false;
      }
      const { affected } = await manager.update(
        PersonalAccessToken,
        { id: token.id, revokedAt: IsNull() },
        { revokedAt: new Date() },
      );
      if (!affected) {
        return false;
      }
      await this.events.publish(
        {
          type: 'pat_revoked',
          userId: token.userId,
          context: initiator.context,
          detail: {
            actorId: initiator.actorId ?? null,
            tokenId: token.id,
            name: token.name,
            revokedBy,
          },
        },
        manager,
      );
      return true;
    });
  }
}
