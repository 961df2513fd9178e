import { MigrationInterface, QueryRunner, Table } from 'typeorm';
import { dialectTypes } from '../dialect-types';

export class SessionsClientsAudit1732233800000 implements MigrationInterface {
  name = 'SessionsClientsAudit1732233800000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const { timestamp } = dialectTypes(queryRunner);
    await queryRunner.createTable(
      new Table({
        name: 'sessions',
        columns: [
          { name: 'id', type: 'varchar', length: '36', isPrimary: true },
          { name: 'userId', type: 'varchar', length: '36' },
          { name: 'clientId', type: 'varchar', length: '64', isNullable: true },
          { name: 'scope', type: 'varchar', length: '1024' },
          { name: 'createdAt', type: timestamp },
          { name: 'lastUsedAt', type: timestamp },
          { name: 'expiresAt', type: timestamp },
          { name: 'revokedAt', type: timestamp, isNullable: true },
          { name: 'userAgent', type: 'varchar', length: '512', isNullable: true },
          { name: 'ip', type: 'varchar', length: '64', isNullable: true },
        ],
        indices: [{ columnNames: ['userId'] }],
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
        name: 'refresh_tokens',
        columns: [
          { name: 'tokenHash', type: 'varchar', length: '64', isPrimary: true },
          { name: 'sessionId', type: 'varchar', length: '36' },
          { name: 'createdAt', type: timestamp },
          { name: 'expiresAt', type: timestamp },
          { name: 'usedAt', type: timestamp, isNullable: true },
          { name: 'successorSealed', type: 'text', isNullable: true },
        ],
        indices: [{ columnNames: ['sessionId'] }],
        foreignKeys: [
          {
            columnNames: ['sessionId'],
            referencedTableName: 'sessions',
            referencedColumnNames: ['id'],
            onDelete: 'CASCADE',
          },
        ],
      }),
    );
    await queryRunner.createTable(
      new Table({
        name: 'revoked_access_tokens',
        columns: [
          { name: 'jti', type: 'varchar', length: '64', isPrimary: true },
          { name: 'expiresAt', type: timestamp },
        ],
      }),
    );
    await queryRunner.createTable(
      new Table({
        name: 'clients',
        columns: [
          { name: 'clientId', type: 'varchar', length: '64', isPrimary: true },
          { name: 'name', type: 'varchar', length: '200' },
          { name: 'secretHash', type: 'varchar', length: '64' },
          { name: 'scopes', type: 'text' },
          { name: 'grants', type: 'text' },
          { name: 'createdAt', type: timestamp },
        ],
      }),
    );
    await queryRunner.createTable(
      new Table({
        name: 'audit_events',
        columns: [
          { name: 'id', type: 'varchar', length: '36', isPrimary: true },
          { name: 'type', type: 'varchar', length: '64' },
          { name: 'userId', type: 'varchar', length: '36', isNullable: true },
          { name: 'clientId', type: 'varchar', length: '64', isNullable: true },
          { name: 'ip', type: 'varchar', length: '64', isNullable: true },
          { name: 'userAgent', type: 'varchar', length: '512', isNullable: true },
          { name: 'at', type: timestamp },
          { name: 'detail', type: 'text' },
        ],
        indices: [{ columnNames: ['type'] }, { columnNames: ['userId'] }, { columnNames: ['at'] }],
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const table of [
      'audit_events',
      'clients',
      'revoked_access_tokens',
      'refresh_tokens',
      'sessions',
    ]) {
      await queryRunner.dropTable(table);
    }
  }
}
