import { MigrationInterface, QueryRunner, Table } from 'typeorm';

/**
 * Every write that can end an access token early, whichever instance (or operator) makes it,
 * raises one counter in the same statement, through triggers. An instance may then answer the
 * per-request checks from memory for as long as the counter it reads has not moved
 * (src/auth/principal-state.service.ts). A trigger, not application code, so that no write path
 * can forget it and the raise commits or rolls back with the write itself.
 */
export const REVOCATION_EPOCH_TRIGGERS = [
  // Any change to an account: disabled, token_version (password change), roles, profile.
  { table: 'users', event: 'UPDATE' },
  { table: 'users', event: 'DELETE' },
  // Only the columns that decide liveness: refreshes write lastUsedAt and must not flush caches.
  { table: 'sessions', event: 'UPDATE OF "revokedAt", "expiresAt"' },
  { table: 'sessions', event: 'DELETE' },
  { table: 'revoked_access_tokens', event: 'INSERT' },
  { table: 'clients', event: 'UPDATE' },
  { table: 'clients', event: 'DELETE' },
] as const;

const BUMP = 'UPDATE "revocation_epoch" SET "value" = "value" + 1 WHERE "id" = 1';

function triggerName(table: string, event: string): string {
  return `${table}_${event.split(' ')[0].toLowerCase()}_revocation_epoch`;
}

export class RevocationEpoch1732234000000 implements MigrationInterface {
  name = 'RevocationEpoch1732234000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createTable(
      new Table({
        name: 'revocation_epoch',
        columns: [
          { name: 'id', type: 'integer', isPrimary: true },
          { name: 'value', type: 'bigint' },
        ],
      }),
    );
    await queryRunner.query('INSERT INTO "revocation_epoch" ("id", "value") VALUES (1, 0)');
    const postgres = queryRunner.connection.driver.options.type === 'postgres';
    if (postgres) {
      // search_path is captured so the trigger finds the table in a non-default schema too.
      await queryRunner.query(
        `CREATE FUNCTION "bump_revocation_epoch"() RETURNS trigger LANGUAGE plpgsql ` +
          `SET search_path FROM CURRENT AS $$ BEGIN ${BUMP}; RETURN NULL; END $$`,
      );
    }
    for (const { table, event } of REVOCATION_EPOCH_TRIGGERS) {
      const name = triggerName(table, event);
      await queryRunner.query(
        postgres
          ? `CREATE TRIGGER "${name}" AFTER ${event} ON "${table}" ` +
              `FOR EACH ROW EXECUTE FUNCTION "bump_revocation_epoch"()`
          : `CREATE TRIGGER "${name}" AFTER ${event} ON "${table}" BEGIN ${BUMP}; END`,
      );
    }
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    const postgres = queryRunner.connection.driver.options.type === 'postgres';
    for (const { table, event } of REVOCATION_EPOCH_TRIGGERS) {
      const name = triggerName(table, event);
      await queryRunner.query(
        postgres ? `DROP TRIGGER "${name}" ON "${table}"` : `DROP TRIGGER "${name}"`,
      );
    }
    if (postgres) {
      await queryRunner.query('DROP FUNCTION "bump_revocation_epoch"()');
    }
    await queryRunner.dropTable('revocation_epoch');
  }
}
