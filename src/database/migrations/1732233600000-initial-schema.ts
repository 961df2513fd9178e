import { MigrationInterface, QueryRunner, Table } from 'typeorm';
import { dialectTypes } from '../dialect-types';

export class InitialSchema1732233600000 implements MigrationInterface {
  name = 'InitialSchema1732233600000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const { timestamp, now } = dialectTypes(queryRunner);
    await queryRunner.createTable(
      new Table({
        name: 'users',
        columns: [
          { name: 'id', type: 'varchar', length: '36', isPrimary: true },
          { name: 'username', type: 'varchar', length: '64' },
          { name: 'normalizedUsername', type: 'varchar', length: '64', isUnique: true },
          { name: 'email', type: 'varchar', length: '254', isNullable: true, isUnique: true },
          { name: 'fullName', type: 'varchar', length: '200', isNullable: true },
          { name: 'passwordHash', type: 'varchar', length: '255' },
          { name: 'roles', type: 'text' },
          { name: 'disabled', type: 'boolean', default: false },
          { name: 'passwordChangedAt', type: timestamp },
          { name: 'tokenVersion', type: 'integer', default: 0 },
          { name: 'createdAt', type: timestamp, default: now },
          { name: 'updatedAt', type: timestamp, default: now },
        ],
      }),
    );
    await queryRunner.createTable(
      new Table({
        name: 'signing_keys',
        columns: [
          { name: 'kid', type: 'varchar', length: '64', isPrimary: true },
          { name: 'alg', type: 'varchar', length: '16' },
          { name: 'publicKeyPem', type: 'text' },
          { name: 'privateKeyPem', type: 'text' },
          { name: 'createdAt', type: timestamp, default: now },
        ],
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('signing_keys');
    await queryRunner.dropTable('users');
  }
}
