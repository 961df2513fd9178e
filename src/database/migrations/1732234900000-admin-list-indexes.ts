import { MigrationInterface, QueryRunner } from 'typeorm';

/** Single-column indexes that the keyset ones below replace (each is their leading column). */
const REPLACED = [
  { table: 'audit_events', column: 'at' },
  { table: 'audit_events', column: 'userId' },
  { table: 'audit_events', column: 'type' },
  { table: 'sessions', column: 'userId' },
];

const KEYSET_INDEXES = [
  'CREATE INDEX "IDX_users_created_at_id" ON "users" ("createdAt", "id")',
  'CREATE INDEX "IDX_audit_events_at_id" ON "audit_events" ("at", "id")',
  'CREATE INDEX "IDX_audit_events_user_at_id" ON "audit_events" ("userId", "at", "id")',
  'CREATE INDEX "IDX_audit_events_type_at_id" ON "audit_events" ("type", "at", "id")',
  'CREATE INDEX "IDX_sessions_user_created_id" ON "sessions" ("userId", "createdAt", "id")',
];

// LIKE 'x%' uses a b-tree only under the C collation or with the pattern operator class; SQLite
// answers prefixes with a range over the unique indexes it already has (user-search.service.ts).
const PREFIX_INDEXES = [
  'CREATE INDEX "IDX_users_normalized_username_prefix" ON "users" ("normalizedUsername" text_pattern_ops)',
  'CREATE INDEX "IDX_users_email_prefix" ON "users" ("email" text_pattern_ops)',
];

export const TRIGRAM_INDEX_NAMES = [
  'IDX_users_normalized_username_trgm',
  'IDX_users_email_trgm',
  'IDX_users_full_name_trgm',
];

/**
 * Indexes for the administrators' lists: keyset pages, prefix search, and on PostgreSQL substring
 * search through pg_trgm when the extension can be created (else substring search scans).
 */
export class AdminListIndexes1732234900000 implements MigrationInterface {
  name = 'AdminListIndexes1732234900000';

  async up(queryRunner: QueryRunner): Promise<void> {
    for (const { table, column } of REPLACED) {
      await this.dropSingleColumnIndex(queryRunner, table, column);
    }
    for (const statement of KEYSET_INDEXES) {
      await queryRunner.query(statement);
    }
    if (queryRunner.connection.options.type !== 'postgres') {
      return;
    }
    for (const statement of PREFIX_INDEXES) {
      await queryRunner.query(statement);
    }
    await this.createTrigramIndexes(queryRunner);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    const postgres = queryRunner.connection.options.type === 'postgres';
    const names = [...KEYSET_INDEXES, ...(postgres ? PREFIX_INDEXES : [])].map(
      (statement) => /INDEX "(\w+)"/.exec(statement)?.[1] ?? '',
    );
    for (const name of [...names, ...(postgres ? TRIGRAM_INDEX_NAMES : [])]) {
      await queryRunner.query(`DROP INDEX IF EXISTS "${name}"`);
    }
    for (const { table, column } of REPLACED) {
      await queryRunner.query(`CREATE INDEX "IDX_${table}_${column}" ON "${table}" ("${column}")`);
    }
  }

  private async dropSingleColumnIndex(
    queryRunner: QueryRunner,
    tableName: string,
    column: string,
  ): Promise<void> {
    const table = await queryRunner.getTable(tableName);
    const index = table?.indices.find(
      (candidate) => candidate.columnNames.length === 1 && candidate.columnNames[0] === column,
    );
    if (table && index) {
      await queryRunner.dropIndex(table, index);
    }
  }

  // Creating an extension needs a privilege a deployment may not grant; the block's own
  // subtransaction keeps the failure from aborting the migration. In `public`, so that dropping
  // one schema (tests use one each) never drops it from under another.
  private async createTrigramIndexes(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      DO $$
      BEGIN
        CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA public;
      EXCEPTION WHEN OTHERS THEN
        RAISE NOTICE 'pg_trgm unavailable (%): substring search on users will scan', SQLERRM;
      END $$`);
    const [installed] = (await queryRunner.query(
      `SELECT n.nspname AS schema FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
       WHERE e.extname = 'pg_trgm'`,
    )) as Array<{ schema: string }>;
    if (!installed) {
      return;
    }
    const ops = `"${installed.schema}".gin_trgm_ops`;
    const [username, email, fullName] = TRIGRAM_INDEX_NAMES;
    await queryRunner.query(
      `CREATE INDEX "${username}" ON "users" USING gin ("normalizedUsername" ${ops})`,
    );
    await queryRunner.query(`CREATE INDEX "${email}" ON "users" USING gin ("email" ${ops})`);
    await queryRunner.query(
      `CREATE INDEX "${fullName}" ON "users" USING gin (lower("fullName") ${ops})`,
    );
  }
}
