import { EntityManager } from 'typeorm';

/**
 * Runs `write` while no other call naming the same lock runs, on any instance. PostgreSQL runs
 * statements side by side: there `write` runs in a transaction holding a transaction-scoped
 * advisory lock. SQLite runs one statement at a time, and TypeORM's SQLite driver shares one
 * connection between all requests, so a transaction would take in other requests' statements:
 * there `write` must be a single statement to be atomic.
 */
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
