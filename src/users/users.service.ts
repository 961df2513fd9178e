import {
  ConflictException,
  Injectable,
  NotFoundException,
  UnauthorizedException,
} from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import {
  DeleteQueryBuilder,
  EntityManager,
  QueryFailedError,
  Repository,
  UpdateQueryBuilder,
} from 'typeorm';
import { isUniqueViolation } from '../database/constraint-violations';
import { exclusively } from '../database/exclusively';
import { PreparedStatements } from '../database/prepared-statements';
import { PasswordHasher } from '../passwords/password-hasher.service';
import { PasswordPolicy } from '../passwords/password-policy.service';
import { SessionsService } from '../sessions/sessions.service';
import { CreateUserDto } from './dto/create-user.dto';
import { ListUsersQuery } from './dto/list-users.query';
import { UpdateUserDto } from './dto/update-user.dto';
import { User } from './entities/user.entity';

export const ADMIN_ROLE = 'admin';
export const DEFAULT_ROLES = ['user'];

/** `roles` is stored as JSON text (`simple-json`), so a role is found by its quoted name. */
const HOLDS_ADMIN_ROLE = `%"${ADMIN_ROLE}"%`;

/** An UPDATE or DELETE of one user, by id, which may leave the service without an administrator. */
type AdministratorRemoval = (
  manager: EntityManager,
) => UpdateQueryBuilder<User> | DeleteQueryBuilder<User>;

/**
 * What every UPDATE of a user sets besides its changes. Left to TypeORM, `updatedAt` would be
 * SQLite's CURRENT_TIMESTAMP, in whole seconds: earlier than a `createdAt` of the same second.
 */
function touched<Changes extends object>(changes: Changes): Changes & { updatedAt: Date } {
  return { ...changes, updatedAt: new Date() };
}

/** Raised in the same UPDATE that changes the credentials, so no request can slip between. */
const NEXT_TOKEN_VERSION = () => '"tokenVersion" + 1';

export function normalizeUsername(username: string): string {
  return username.toLowerCase();
}

/** SQLite and PostgreSQL report a unique-index violation differently; both name the column. */
function uniqueViolation(error: unknown): 'email' | 'username' | undefined {
  if (!(error instanceof QueryFailedError) || !isUniqueViolation(error)) {
    return undefined;
  }
  const driverError = error.driverError as { detail?: string; message?: string };
  const text = `${driverError.detail ?? ''} ${driverError.message ?? ''}`;
  return /email/.test(text) ? 'email' : 'username';
}

function conflict(field: 'email' | 'username'): ConflictException {
  return new ConflictException(
    field === 'email' ? 'That email address is already registered' : 'That username is taken',
  );
}

/** Escapes LIKE wildcards so a search for `50%` finds "50%" and not everything. */
function likePattern(text: string): string {
  return `%${text.toLowerCase().replace(/[\\%_]/g, (char) => `\\${char}`)}%`;
}

@Injectable()
export class UsersService {
  // Every password grant looks its user up (issue 5: a statement prepared once).
  private readonly byNormalizedUsername: (username: string) => Promise<User[]>;

  constructor(
    @InjectRepository(User) private readonly users: Repository<User>,
    private readonly hasher: PasswordHasher,
    private readonly policy: PasswordPolicy,
    private readonly sessions: SessionsService,
    statements: PreparedStatements,
  ) {
    this.byNormalizedUsername = statements.selectWhere(User, 'normalizedUsername');
  }

  async create(input: CreateUserDto): Promise<User> {
    this.policy.assertAcceptable(input.password, input.username, 'password');
    await this.assertAvailable(input.username, input.email);
    const id = randomUUID();
    const now = new Date();
    const passwordHash = await this.hasher.hash(input.password);
    await this.writeOrConflict(() =>
      this.users.insert({
        id,
        username: input.username,
        normalizedUsername: normalizeUsername(input.username),
        email: input.email ?? null,
        fullName: input.fullName ?? null,
        passwordHash,
        roles: input.roles ?? DEFAULT_ROLES,
        disabled: false,
        passwordChangedAt: now,
        createdAt: now,
        updatedAt: now,
      }),
    );
    return this.getById(id);
  }

  findById(id: string): Promise<User | null> {
    return this.users.findOneBy({ id });
  }

  async getById(id: string): Promise<User> {
    const user = await this.findById(id);
    if (!user) {
      throw new NotFoundException('No user has that id');
    }
    return user;
  }

  /** One of the two lookups that load the password hash (a `select: false` column). */
  async findForLogin(username: string): Promise<User | null> {
    const [user] = await this.byNormalizedUsername(normalizeUsername(username));
    return user ?? null;
  }

  async list(query: ListUsersQuery): Promise<{ items: User[]; total: number }> {
    const builder = this.users
      .createQueryBuilder('user')
      .orderBy('user.createdAt', 'ASC')
      .addOrderBy('user.id', 'ASC')
      .take(query.limit)
      .skip(query.offset);
    if (query.q) {
      builder.where(
        "(user.normalizedUsername LIKE :q ESCAPE '\\' OR LOWER(user.email) LIKE :q ESCAPE '\\' OR LOWER(user.fullName) LIKE :q ESCAPE '\\')",
        { q: likePattern(query.q) },
      );
    }
    const [items, total] = await builder.getManyAndCount();
    return { items, total };
  }

  /** The updated user, and whether this change disabled the account. */
  async update(id: string, changes: UpdateUserDto): Promise<{ user: User; disabled: boolean }> {
    const user = await this.getById(id);
    if (typeof changes.email === 'string' && changes.email !== user.email) {
      await this.assertAvailable(undefined, changes.email);
    }
    // Disabling ends every token for good: re-enabling the account must not revive them.
    const revokeTokens = changes.disabled === true && !user.disabled;
    const values = touched(
      revokeTokens ? { ...changes, tokenVersion: NEXT_TOKEN_VERSION } : changes,
    );
    // Judged on the request alone, not on the row read above: the guard looks at the row itself.
    const mayRemoveAdministrator =
      changes.disabled === true ||
      (changes.roles !== undefined && !changes.roles.includes(ADMIN_ROLE));
    if (Object.keys(changes).length > 0) {
      await this.writeOrConflict(() =>
        mayRemoveAdministrator
          ? this.unlessLastAdministrator(id, (manager) =>
              manager.createQueryBuilder().update(User).set(values).where('id = :id', { id }),
            )
          : this.users.update({ id }, values),
      );
    }
    if (revokeTokens) {
      await this.sessions.revokeAllForUser(id);
    }
    return { user: await this.getById(id), disabled: revokeTokens };
  }

  /** Every session and every access token from before the change stop working (User.tokenVersion). */
  async changePassword(id: string, currentPassword: string, newPassword: string): Promise<void> {
    const user = await this.withPasswordHash().where('user.id = :id', { id }).getOne();
    if (!user || !(await this.hasher.verify(user.passwordHash, currentPassword))) {
      throw new UnauthorizedException('The current password is incorrect');
    }
    this.policy.assertAcceptable(newPassword, user.username, 'newPassword');
    // Only over the credentials that were checked: of two changes at once, the second would
    // otherwise succeed with a current password that the first had just replaced.
    const { affected } = await this.users.update(
      { id, tokenVersion: user.tokenVersion },
      touched({
        passwordHash: await this.hasher.hash(newPassword),
        passwordChangedAt: new Date(),
        tokenVersion: NEXT_TOKEN_VERSION,
      }),
    );
    if (affected === 0) {
      throw new UnauthorizedException('The current password is incorrect');
    }
    await this.sessions.revokeAllForUser(id);
  }

  /**
   * A transparent upgrade after a successful login; existing tokens stay valid. Only over the hash
   * that was verified: a password changed meanwhile must not be put back by a login that checked
   * the old one.
   */
  async replacePasswordHash(id: string, verifiedHash: string, passwordHash: string): Promise<void> {
    await this.users.update({ id, passwordHash: verifiedHash }, touched({ passwordHash }));
  }

  async remove(id: string): Promise<void> {
    await this.unlessLastAdministrator(id, (manager) =>
      manager.createQueryBuilder().delete().from(User).where('id = :id', { id }),
    );
  }

  async adminExists(): Promise<boolean> {
    return this.users
      .createQueryBuilder('user')
      .where('user.roles LIKE :role', { role: HOLDS_ADMIN_ROLE })
      .getExists();
  }

  /**
   * Runs `write` on user `id` unless that user is an enabled administrator and no other enabled
   * one exists: 409 then, 404 for no such user. The service must keep someone who can administer
   * it, and BOOTSTRAP_ADMIN_* cannot repair that: it acts only when no admin exists, disabled or not.
   *
   * The check is part of the write's own WHERE, so it judges the row as it is when written. That
   * makes it atomic on SQLite, which runs one statement at a time. PostgreSQL runs statements side
   * by side, and two admins demoting each other at once would each still see the other; there the
   * writes take turns (exclusively()).
   */
  private async unlessLastAdministrator(id: string, write: AdministratorRemoval): Promise<void> {
    const guarded = async (manager: EntityManager): Promise<number> => {
      const builder = write(manager);
      const anotherAdministrator = manager
        .createQueryBuilder(User, 'other')
        .select('1')
        .where('other.id != :id')
        .andWhere('NOT other.disabled')
        .andWhere('other.roles LIKE :adminRole')
        .getQuery();
      const result = await builder
        .andWhere(
          `(NOT (NOT "disabled" AND "roles" LIKE :adminRole) OR EXISTS (${anotherAdministrator}))`,
          { id, adminRole: HOLDS_ADMIN_ROLE },
        )
        .execute();
      return result.affected ?? 0;
    };
    const affected = await exclusively(
      this.users.manager,
      'portcullis.last-administrator',
      guarded,
    );
    if (affected === 0) {
      throw (await this.users.existsBy({ id }))
        ? new ConflictException(
            'This is the last enabled administrator: another one must exist before it can be demoted, disabled or deleted',
          )
        : new NotFoundException('No user has that id');
    }
  }

  private withPasswordHash() {
    return this.users.createQueryBuilder('user').addSelect('user.passwordHash');
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

  /**
   * Single statements only: TypeORM's SQLite driver shares one connection, so `save()`'s
   * implicit transactions from concurrent requests would interleave and roll each other back.
   */
  private async writeOrConflict(write: () => Promise<unknown>): Promise<void> {
    try {
      await write();
    } catch (error) {
      const field = uniqueViolation(error);
      throw field ? conflict(field) : error;
    }
  }
}
