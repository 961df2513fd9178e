import { EntityManager } from 'typeorm';

// No two calls naming the same lock run at once, on any instance: on PostgreSQL by an advisory
// lock; on SQLite `write` must be one statement, as TypeORM's shared connection would let a
// transaction take in other requests' statements.
export function exclusively<T>(
  manager: EntityManager,
  lock: string,
  write: (manager: EntityManager) => Promise<T>,
): Promise<T> {
  if (manager.connection.options.type !== 'postgres') {
    return write(manager);
  }
  return manager.transaction(async (transaction) => {
    await transaction.query('SELECT pg_advisory_xact_lock(hashtext($1))', [lock]);
    return write(transaction);
  });
}
