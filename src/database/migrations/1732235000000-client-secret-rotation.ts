import { MigrationInterface, QueryRunner } from 'typeorm';
import { dialectTypes } from '../dialect-types';

// Raw ALTER TABLE: TypeORM's addColumn rebuilds a SQLite table, dropping its revocation-epoch
// triggers.
export class ClientSecretRotation1732235000000 implements MigrationInterface {
  name = 'ClientSecretRotation1732235000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const { timestamp } = dialectTypes(queryRunner);
    await queryRunner.query('ALTER TABLE "clients" ADD COLUMN "previousSecretHash" varchar(64)');
    await queryRunner.query(
      `ALTER TABLE "clients" ADD COLUMN "previousSecretExpiresAt" ${timestamp}`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE "clients" DROP COLUMN "previousSecretExpiresAt"');
    await queryRunner.query('ALTER TABLE "clients" DROP COLUMN "previousSecretHash"');
  }
}
