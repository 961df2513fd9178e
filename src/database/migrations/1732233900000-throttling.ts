import { MigrationInterface, QueryRunner, Table } from 'typeorm';

export class Throttling1732233900000 implements MigrationInterface {
  name = 'Throttling1732233900000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createTable(
      new Table({
        name: 'throttle_counters',
        columns: [
          { name: 'key', type: 'varchar', length: '100', isPrimary: true },
          { name: 'count', type: 'integer' },
          { name: 'delayMs', type: 'integer' },
          { name: 'blockedUntil', type: 'bigint' },
          { name: 'expiresAt', type: 'bigint' },
        ],
        indices: [{ columnNames: ['expiresAt'] }],
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('throttle_counters');
  }
}
