import { MigrationInterface, QueryRunner, Table } from 'typeorm';

// The users column by raw ALTER TABLE: TypeORM's addColumn rebuilds a SQLite table, dropping its
// revocation-epoch triggers. Existing accounts start unverified.
export class MailOutboxAndAccountTokens1732234600000 implements MigrationInterface {
  name = 'MailOutboxAndAccountTokens1732234600000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      'ALTER TABLE "users" ADD COLUMN "emailVerified" boolean NOT NULL DEFAULT false',
    );
    await queryRunner.createTable(
      new Table({
        name: 'account_tokens',
        columns: [
          { name: 'id', type: 'varchar', length: '36', isPrimary: true },
          { name: 'userId', type: 'varchar', length: '36' },
          { name: 'purpose', type: 'varchar', length: '32' },
          { name: 'tokenHash', type: 'varchar', length: '64', isUnique: true },
          { name: 'email', type: 'varchar', length: '254', isNullable: true },
          { name: 'expiresAt', type: 'bigint' },
          { name: 'createdAt', type: 'bigint' },
        ],
        indices: [{ columnNames: ['userId', 'purpose'] }, { columnNames: ['expiresAt'] }],
        foreignKeys: [
          {
            columnNames: ['userId'],
            referencedTableName: 'users',
            referencedColumnNames: ['id'],
            onDelete: 'CASCADE',
          },
        ],
      }),
    );
    await queryRunner.createTable(
      new Table({
        name: 'mail_outbox',
        columns: [
          { name: 'id', type: 'varchar', length: '36', isPrimary: true },
          { name: 'template', type: 'varchar', length: '64' },
          { name: 'payload', type: 'text', isNullable: true },
          { name: 'status', type: 'varchar', length: '16' },
          { name: 'attempts', type: 'integer', default: 0 },
          { name: 'nextAttemptAt', type: 'bigint' },
          { name: 'leaseUntil', type: 'bigint', default: 0 },
          { name: 'claim', type: 'varchar', length: '36', isNullable: true },
          { name: 'lastError', type: 'varchar', length: '200', isNullable: true },
          { name: 'createdAt', type: 'bigint' },
          { name: 'finishedAt', type: 'bigint', isNullable: true },
        ],
        indices: [{ columnNames: ['status', 'nextAttemptAt'] }, { columnNames: ['finishedAt'] }],
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('mail_outbox');
    await queryRunner.dropTable('account_tokens');
    await queryRunner.query('ALTER TABLE "users" DROP COLUMN "emailVerified"');
  }
}
