import { MigrationInterface, QueryRunner } from 'typeorm';

// Raw ALTER TABLE: TypeORM's addColumn rebuilds a SQLite table, dropping its revocation-epoch
// triggers. Live sessions predate any change of their user's version (a change revokes them all).
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
