import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The account's `tokenVersion` that each session's login was checked against (Session.tokenVersion).
 * Raw ALTER TABLE rather than TypeORM's addColumn, which rebuilds a SQLite table and would drop
 * its revocation-epoch triggers. Live sessions predate any change of their user's version (a
 * change revokes them all), so they take the user's current one.
 */
export class SessionTokenVersion1732234100000 implements MigrationInterface {
  name = 'SessionTokenVersion1732234100000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      'ALTER TABLE "sessions" ADD COLUMN "tokenVersion" integer NOT NULL DEFAULT 0',
    );
    await queryRunner.query(
      'UPDATE "sessions" SET "tokenVersion" = COALESCE((SELECT "users"."tokenVersion"' +
        ' FROM "users" WHERE "users"."id" = "sessions"."userId"), 0)',
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE "sessions" DROP COLUMN "tokenVersion"');
  }
}
