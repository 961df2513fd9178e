import { MigrationInterface, QueryRunner } from 'typeorm';

// Raw ALTER TABLE: TypeORM's addColumn rebuilds a SQLite table, dropping its revocation-epoch
// triggers. Every session so far began with a password alone.
export class SessionAmr1732234710000 implements MigrationInterface {
  name = 'SessionAmr1732234710000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `ALTER TABLE "sessions" ADD COLUMN "amr" varchar(64) NOT NULL DEFAULT 'pwd'`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE "sessions" DROP COLUMN "amr"');
  }
}
