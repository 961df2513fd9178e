import { BadRequestException, Inject, Injectable, NotFoundException } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { InjectRepository } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import { EntityManager, Repository } from 'typeorm';
import { ADMIN_ROLE, DEFAULT_ROLES } from '../auth/roles';
import { RequestContext } from '../common/request-context';
import { mailConfig } from '../config/mail.config';
import { Transactions } from '../database/transactions';
import { Initiator, SecurityEvent } from '../events/security-event';
import { SecurityEvents } from '../events/security-events.service';
import { PasswordHasher } from '../passwords/password-hasher.service';
import { PasswordPolicy } from '../passwords/password-policy.service';
import { PersonalAccessTokensService } from '../personal-access-tokens/personal-access-tokens.service';
import { PreparedStatements } from '../platform/prepared-statements';
import { SessionsService } from '../sessions/sessions.service';
import { RequestBudgets } from '../throttling/request-budgets.service';
import { CreateUserDto } from './dto/create-user.dto';
import { RegisterUserDto } from './dto/register-user.dto';
import { UpdateProfileDto } from './dto/update-profile.dto';
import { UpdateUserDto } from './dto/update-user.dto';
import { EmailChanges } from './email-changes';
import { User } from './entities/user.entity';
import { HOLDS_ADMIN_ROLE, unlessLastAdministrator } from './last-administrator';
import {
  conflict,
  NEXT_TOKEN_VERSION,
  PasswordResetStep,
  touched,
  writeOrConflict,
} from './user-writes';
import { normalizeUsername } from './username';

const NO_CONTEXT = { ip: null, userAgent: null };

// Single-statement writes: TypeORM's SQLite driver shares one connection (see exclusively.ts).
@Injectable()
export class UsersService {
  private readonly byNormalizedUsername: (username: string) => Promise<User[]>;

  constructor(
    @InjectRepository(User) private readonly users: Repository<User>,
    private readonly hasher: PasswordHasher,
    private readonly policy: PasswordPolicy,
    private readonly sessions: SessionsService,
    private readonly personalAccessTokens: PersonalAccessTokensService,
    private readonly events: SecurityEvents,
    private readonly budgets: RequestBudgets,
    private readonly transactions: Transactions,
    private readonly emailChanges: EmailChanges,
    @Inject(mailConfig.KEY) private readonly mail: ConfigType<typeof mailConfig>,
    statements: PreparedStatements,
  ) {
    this.byNormalizedUsername = statements.selectWhere(User, 'normalizedUsername');
  }

  async register(input: RegisterUserDto, context: RequestContext): Promise<User> {
    // Every attempt counts, refused ones too: each costs a hash, or says a name is taken.
    await this.budgets.spend('registration', context);
    if (this.mail.requireVerifiedEmail && !input.email) {
      // It could never log in: REQUIRE_VERIFIED_EMAIL needs an address to verify.
      throw new BadRequestException('email is required to register on this service');
    }
    return this.insert(input, (user) => ({
      type: 'user_registered',
      userId: user.id,
      context,
      detail: { username: user.username },
    }));
  }

  async create(input: CreateUserDto, initiator: Initiator): Promise<User> {
    return this.insert(input, (user) => ({
      type: 'user_created',
      userId: user.id,
      context: initiator.context,
      detail: { actorId: initiator.actorId ?? null, roles: user.roles.join(' ') },
    }));
  }

  /** Given a transaction's manager, sees what it has written so far. */
  findById(id: string, transaction?: EntityManager): Promise<User | null> {
    return (transaction ?? this.users.manager).findOneBy(User, { id });
  }

  /** Emails are stored lower-cased (EmailField), so this matches as registration compares them. */
  findByEmail(email: string): Promise<User | null> {
    return this.users.findOneBy({ email: email.trim().toLowerCase() });
  }

  /** Only while the account still has the address the proof was mailed to. */
  async markEmailVerified(manager: EntityManager, id: string, email: string): Promise<boolean> {
    const { affected } = await manager.update(
      User,
      { id, email },
      touched({ emailVerified: true }),
    );
    return affected === 1;
  }

  async getById(id: string): Promise<User> {
    const user = await this.findById(id);
    if (!user) {
      throw new NotFoundException('No user has that id');
    }
    return user;
  }

  /** Loads the password hash too: selectWhere reads `select: false` columns. */
  async findForLogin(username: string): Promise<User | null> {
    const [user] = await this.byNormalizedUsername(normalizeUsername(username));
    return user ?? null;
  }

  findWithPasswordHash(id: string): Promise<User | null> {
    return this.users
      .createQueryBuilder('user')
      .addSelect('user.passwordHash')
      .where('user.id = :id', { id })
      .getOne();
  }

  /** PATCH /users/me, on an hourly budget: its 409 says whether an email is registered. */
  async updateOwnProfile(
    id: string,
    changes: UpdateProfileDto,
    initiator: Initiator,
  ): Promise<User> {
    await this.budgets.spend('profile_change', initiator.context ?? NO_CONTEXT, id);
    return this.update(id, changes, initiator);
  }

  /** Disabling ends every token for good: re-enabling the account does not revive them. */
  async update(id: string, changes: UpdateUserDto, initiator: Initiator): Promise<User> {
    const user = await this.getById(id);
    const emailChanged = changes.email !== undefined && (changes.email ?? null) !== user.email;
    if (typeof changes.email === 'string' && emailChanged) {
      await this.assertAvailable(undefined, changes.email);
    }
    const disables = changes.disabled === true && !user.disabled;
    const values = touched({
      ...changes,
      ...(disables ? { tokenVersion: NEXT_TOKEN_VERSION } : {}),
      ...(emailChanged ? { emailVerified: false } : {}),
    });
    // Judged on the request alone, not on the row read above: the guard looks at the row itself.
    const mayRemoveAdministrator =
      changes.disabled === true ||
      (changes.roles !== undefined && !changes.roles.includes(ADMIN_ROLE));
    // Field names only: an audit record says what changed, not to what (an email is personal data).
    const actor = { actorId: initiator.actorId ?? null };
    const fields = Object.keys(changes).sort().join(' ');
    const { context } = initiator;
    await this.transactions.run(async (manager) => {
      if (Object.keys(changes).length > 0) {
        await writeOrConflict(() =>
          mayRemoveAdministrator
            ? unlessLastAdministrator(manager, id, (guarded) =>
                guarded.createQueryBuilder().update(User).set(values).where('id = :id', { id }),
              )
            : manager.update(User, { id }, values),
        );
      }
      if (disables) {
        await this.sessions.revokeAllForUser(id, manager);
        await this.personalAccessTokens.revokeAllForUser(id, manager);
      }
      if (emailChanged) {
        const { username, email: previousEmail } = user;
        const email = changes.email ?? null;
        await this.emailChanges.announce({ userId: id, username, previousEmail, email }, manager);
      }
      await this.events.publish(
        { type: 'user_updated', userId: id, context, detail: { ...actor, fields } },
        manager,
      );
      if (disables) {
        await this.events.publish(
          { type: 'user_disabled', userId: id, context, detail: actor },
          manager,
        );
      }
    });
    return this.getById(id);
  }

  /**
   * Only over the credentials that were checked: of two concurrent changes, the second would
   * otherwise pass with the password the first had just replaced. False if it did; else the
   * sessions end and `event` is recorded, all in one transaction.
   */
  async replacePassword(
    checked: User,
    passwordHash: string,
    event: SecurityEvent,
    reset?: PasswordResetStep,
  ): Promise<boolean> {
    return this.transactions.run(async (manager) => {
      const { affected } = await manager.update(
        User,
        { id: checked.id, tokenVersion: checked.tokenVersion },
        touched({
          passwordHash,
          passwordChangedAt: new Date(),
          tokenVersion: NEXT_TOKEN_VERSION,
          ...(reset?.emailVerified ? { emailVerified: true } : {}),
        }),
      );
      if (!affected) {
        return false;
      }
      await reset?.spendToken(manager);
      await this.sessions.revokeAllForUser(checked.id, manager);
      await this.events.publish(event, manager);
      return true;
    });
  }

  // Only over the verified hash: a login must not put back a password changed meanwhile.
  async replacePasswordHash(id: string, verifiedHash: string, passwordHash: string): Promise<void> {
    await this.users.update({ id, passwordHash: verifiedHash }, touched({ passwordHash }));
  }

  /** In the transaction of the factor's change; false when the user is gone. */
  async setMfaEnabled(id: string, enabled: boolean, manager: EntityManager): Promise<boolean> {
    const { affected } = await manager.update(User, { id }, touched({ mfaEnabled: enabled }));
    return affected === 1;
  }

  async remove(id: string, initiator: Initiator): Promise<void> {
    await this.transactions.run(async (manager) => {
      await unlessLastAdministrator(manager, id, (guarded) =>
        guarded.createQueryBuilder().delete().from(User).where('id = :id', { id }),
      );
      await this.events.publish(
        {
          type: 'user_deleted',
          userId: id,
          context: initiator.context,
          detail: { actorId: initiator.actorId ?? null },
        },
        manager,
      );
    });
  }

  async adminExists(): Promise<boolean> {
    return this.users
      .createQueryBuilder('user')
      .where('user.roles LIKE :role', { role: HOLDS_ADMIN_ROLE })
      .getExists();
  }

  /** The hash is made first: no transaction (and no SQLite writer) waits on argon2. */
  private async insert(input: CreateUserDto, event: (user: User) => SecurityEvent): Promise<User> {
    this.policy.assertAcceptable(input.password, input.username, 'password');
    await this.assertAvailable(input.username, input.email);
    const id = randomUUID();
    const now = new Date();
    const passwordHash = await this.hasher.hash(input.password);
    const row = {
      id,
      username: input.username,
      normalizedUsername: normalizeUsername(input.username),
      email: input.email ?? null,
      fullName: input.fullName ?? null,
      passwordHash,
      emailVerified: false,
      roles: input.roles ?? DEFAULT_ROLES,
      disabled: false,
      passwordChangedAt: now,
      createdAt: now,
      updatedAt: now,
    };
    await writeOrConflict(() =>
      this.transactions.run(async (manager) => {
        await manager.insert(User, row);
        const user = await manager.findOneByOrFail(User, { id });
        await this.events.publish(event(user), manager);
        if (user.email) {
          const change = { userId: id, username: user.username, previousEmail: null };
          await this.emailChanges.announce({ ...change, email: user.email }, manager);
        }
      }),
    );
    return this.getById(id);
  }

  /** A friendly 409 in the common case; the unique indexes still decide under a race. */
  private async assertAvailable(username?: string, email?: string | null): Promise<void> {
    if (
      username !== undefined &&
      (await this.users.existsBy({ normalizedUsername: normalizeUsername(username) }))
    ) {
      throw conflict('username');
    }
    // A JSON null is no email, as an absent one is; TypeORM refuses to match on null.
    if (typeof email === 'string' && (await this.users.existsBy({ email }))) {
      throw conflict('email');
    }
  }
}
