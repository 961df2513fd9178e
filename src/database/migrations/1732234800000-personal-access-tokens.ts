import { MigrationInterface, QueryRunner, Table } from 'typeorm';
import { createEpochTriggers, dropEpochTriggers, EpochTrigger } from '../../auth/revocation-epoch';
import { dialectTypes } from '../dialect-types';

const TRIGGERS: readonly EpochTrigger[] = [
  // Revoking or shortening a token ends it; lastUsedAt is written in the background and must not.
  { table: 'personal_access_tokens', event: 'UPDATE OF "revokedAt", "expiresAt"' },
  { table: 'personal_access_tokens', event: 'DELETE' },
];

export class PersonalAccessTokens1732234800000 implements MigrationInterface {
  name = 'PersonalAccessTokens1732234800000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const { timestamp } = dialectTypes(queryRunner);
    await queryRunner.createTable(
      new Table({
        name: 'personal_access_tokens',
        columns: [
          { name: 'id', type: 'varchar', length: '36', isPrimary: true },
          { name: 'userId', type: 'varchar', length: '36' },
          { name: 'name', type: 'varchar', length: '100' },
          { name: 'tokenHash', type: 'varchar', length: '64', isUnique: true },
          { name: 'scopes', type: 'text' },
          { name: 'createdAt', type: timestamp },
          { name: 'expiresAt', type: timestamp },
          { name: 'lastUsedAt', type: timestamp, isNullable: true },
          { name: 'revokedAt', type: timestamp, isNullable: true },
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
    await createEpochTriggers(queryRunner, TRIGGERS);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await dropEpochTriggers(queryRunner, TRIGGERS);
    await queryRunner.dropTable('personal_access_tokens');
  }
}
