import { MigrationInterface, QueryRunner, Table } from 'typeorm';
import {
  createEpochTriggers,
  dropEpochTriggers,
  EpochTrigger,
  RAISE_REVOCATION_EPOCH,
} from '../../auth/revocation-epoch';

const TRIGGERS: readonly EpochTrigger[] = [
  // Any change to an account: disabled, tokenVersion (password change), roles, profile.
  { table: 'users', event: 'UPDATE' },
  { table: 'users', event: 'DELETE' },
  // Only the columns that decide liveness: refreshes write lastUsedAt and must not flush caches.
  { table: 'sessions', event: 'UPDATE OF "revokedAt", "expiresAt"' },
  { table: 'sessions', event: 'DELETE' },
  { table: 'revoked_access_tokens', event: 'INSERT' },
  { table: 'clients', event: 'UPDATE' },
  { table: 'clients', event: 'DELETE' },
];

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
    if (queryRunner.connection.driver.options.type === 'postgres') {
      // search_path is captured so the trigger finds the table in a non-default schema too.
      await queryRunner.query(
        `CREATE FUNCTION "bump_revocation_epoch"() RETURNS trigger LANGUAGE plpgsql ` +
          `SET search_path FROM CURRENT AS $$ BEGIN ${RAISE_REVOCATION_EPOCH}; RETURN NULL; END $$`,
      );
    }
    await createEpochTriggers(queryRunner, TRIGGERS);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await dropEpochTriggers(queryRunner, TRIGGERS);
    if (queryRunner.connection.driver.options.type === 'postgres') {
      await queryRunner.query('DROP FUNCTION "bump_revocation_epoch"()');
    }
    await queryRunner.dropTable('revocation_epoch');
  }
}
