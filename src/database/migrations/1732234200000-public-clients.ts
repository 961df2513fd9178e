import { MigrationInterface, QueryRunner } from 'typeorm';

// Raw ALTER TABLE: TypeORM's addColumn rebuilds a SQLite table, dropping its revocation-epoch
// triggers. A public client keeps an empty secretHash: it has no secret to check.
export class PublicClients1732234200000 implements MigrationInterface {
  name = 'PublicClients1732234200000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      'ALTER TABLE "clients" ADD COLUMN "public" boolean NOT NULL DEFAULT false',
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE "clients" DROP COLUMN "public"');
  }
}
