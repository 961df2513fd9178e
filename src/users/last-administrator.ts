import { ConflictException, NotFoundException } from '@nestjs/common';
import { DeleteQueryBuilder, EntityManager, UpdateQueryBuilder } from 'typeorm';
import { ADMIN_ROLE } from '../auth/roles';
import { exclusively } from '../database/exclusively';
import { User } from './entities/user.entity';

/** `roles` is stored as JSON text (`simple-json`), so a role is found by its quoted name. */
export const HOLDS_ADMIN_ROLE = `%"${ADMIN_ROLE}"%`;

export type AdministratorRemoval = (
  manager: EntityManager,
) => UpdateQueryBuilder<User> | DeleteQueryBuilder<User>;

// 409 if `id` is the last enabled admin (BOOTSTRAP_ADMIN_* could not repair that), 404 if no such
// user. The check is in the write's WHERE: atomic on SQLite; PostgreSQL runs statements side by
// side, so there the writes take turns.
export async function unlessLastAdministrator(
  manager: EntityManager,
  id: string,
  write: AdministratorRemoval,
): Promise<void> {
  const guarded = async (locked: EntityManager): Promise<number> => {
    const anotherAdministrator = locked
      .createQueryBuilder(User, 'other')
      .select('1')
      .where('other.id != :id')
      .andWhere('NOT other.disabled')
      .andWhere('other.roles LIKE :adminRole')
      .getQuery();
    const result = await write(locked)
      .andWhere(
        `(NOT (NOT "disabled" AND "roles" LIKE :adminRole) OR EXISTS (${anotherAdministrator}))`,
        { id, adminRole: HOLDS_ADMIN_ROLE },
      )
      .execute();
    return result.affected ?? 0;
  };
  const affected = await exclusively(manager, 'portcullis.last-administrator', guarded);
  if (affected === 0) {
    throw (await manager.existsBy(User, { id }))
      ? new ConflictException(
          'This is the last enabled administrator: another one must exist before it can be demoted, disabled or deleted',
        )
      : new NotFoundException('No user has that id');
  }
}
