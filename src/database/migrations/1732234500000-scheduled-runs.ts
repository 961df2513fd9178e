import { MigrationInterface, QueryRunner, Table } from 'typeorm';

export class ScheduledRuns1732234500000 implements MigrationInterface {
  name = 'ScheduledRuns1732234500000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createTable(
      new Table({
        name: 'scheduled_runs',
        columns: [
          { name: 'name', type: 'varchar', length: '64', isPrimary: true },
          { name: 'lastRunAt', type: 'bigint' },
        ],
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('scheduled_runs');
  }
}
