import { MigrationInterface, QueryRunner, Table, TableForeignKey } from 'typeorm';
import { dialectTypes } from '../dialect-types';

const ofUser = (): TableForeignKey =>
  new TableForeignKey({
    columnNames: ['userId'],
    referencedTableName: 'users',
    referencedColumnNames: ['id'],
    onDelete: 'CASCADE',
  });

// None of these tables is read by the per-request token check, so none raises the revocation
// epoch: what ends access when a factor changes is the sessions it ends (docs/security.md).
export class SecondFactor1732234700000 implements MigrationInterface {
  name = 'SecondFactor1732234700000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const { timestamp } = dialectTypes(queryRunner);
    // Raw ALTER TABLE: TypeORM's addColumn rebuilds a SQLite table, dropping its triggers.
    await queryRunner.query(
      'ALTER TABLE "users" ADD COLUMN "mfaEnabled" boolean NOT NULL DEFAULT false',
    );
    await queryRunner.createTable(
      new Table({
        name: 'totp_factors',
        columns: [
          { name: 'userId', type: 'varchar', length: '36', isPrimary: true },
          { name: 'secretSealed', type: 'text' },
          { name: 'confirmedAt', type: timestamp, isNullable: true },
          { name: 'lastUsedStep', type: 'integer', isNullable: true },
          { name: 'createdAt', type: timestamp },
        ],
        foreignKeys: [ofUser()],
      }),
    );
    await queryRunner.createTable(
      new Table({
        name: 'recovery_codes',
        columns: [
          { name: 'codeHash', type: 'varchar', length: '64', isPrimary: true },
          { name: 'userId', type: 'varchar', length: '36' },
          { name: 'createdAt', type: timestamp },
        ],
        indices: [{ columnNames: ['userId'] }],
        foreignKeys: [ofUser()],
      }),
    );
    await queryRunner.createTable(
      new Table({
        name: 'mfa_challenges',
        columns: [
          { name: 'tokenHash', type: 'varchar', length: '64', isPrimary: true },
          { name: 'userId', type: 'varchar', length: '36' },
          { name: 'clientId', type: 'varchar', length: '64', isNullable: true },
          { name: 'scope', type: 'varchar', length: '1024' },
          { name: 'tokenVersion', type: 'integer' },
          { name: 'attempts', type: 'integer', default: 0 },
          { name: 'createdAt', type: timestamp },
          { name: 'expiresAt', type: timestamp },
        ],
        indices: [{ columnNames: ['userId'] }],
        foreignKeys: [ofUser()],
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('mfa_challenges');
    await queryRunner.dropTable('recovery_codes');
    await queryRunner.dropTable('totp_factors');
    await queryRunner.query('ALTER TABLE "users" DROP COLUMN "mfaEnabled"');
  }
}
