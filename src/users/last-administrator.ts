import { ConflictException, NotFoundException } from '@nestjs/common';
import { DeleteQueryBuilder, EntityManager, Repository, UpdateQueryBuilder } from 'typeorm';
import { ADMIN_ROLE } from '../auth/roles';
import { exclusively } from '../database/exclusively';
import { User } from './entities/user.entity';

/** `roles` is stored as JSON text (`simple-json`), so a role is found by its quoted name. */
export const HOLDS_ADMIN_ROLE = `%"${ADMIN_ROLE}"%`;

/** An UPDATE or DELETE of one user, by id, which may leave the service without an administrator. */
export type AdministratorRemoval = (
  manager: EntityManager,
) => UpdateQueryBuilder<User> | DeleteQueryBuilder<User>;

/**
 * Runs `write` on user `id` unless that user is an enabled administrator and no other enabled
 * one exists: 409 then, 404 for no such user. BOOTSTRAP_ADMIN_* could not repair a service left
 * without one: it acts only when no admin exists, disabled or not.
 *
 * The check is part of the write's own WHERE, so it judges the row as it is when written: atomic
 * on SQLite, which runs one statement at a time. PostgreSQL runs statements side by side, and two
 * admins demoting each other would each still see the other; there the writes take turns.
 */
export async function unlessLastAdministrator(
  users: Repository<User>,
  id: string,
  write: AdministratorRemoval,
): Promise<void> {
  const guarded = async (manager: EntityManager): Promise<number> => {
    const anotherAdministrator = manager
      .createQueryBuilder(User, 'other')
      .select('1')
      .where('other.id != :id')
      .andWhere('NOT other.disabled')
      .andWhere('other.roles LIKE :adminRole')
      .getQuery();
    const result = await write(manager)
      .andWhere(
        `(NOT (NOT "disabled" AND "roles" LIKE :adminRole) OR EXISTS (${anotherAdministrator}))`,
        { id, adminRole: HOLDS_ADMIN_ROLE },
      )
      .execute();
    return result.affected ?? 0;
  };
  const affected = await exclusively(users.manager, 'portcullis.last-administrator', guarded);
  if (affected === 0) {
    throw (await users.existsBy({ id }))
      ? new ConflictException(
          'This is the last enabled administrator: another one must exist before it can be demoted, disabled or deleted',
        )
      : new NotFoundException('No user has that id');
  }
}
