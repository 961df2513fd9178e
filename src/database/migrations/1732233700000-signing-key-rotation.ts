import { MigrationInterface, QueryRunner, TableColumn, TableIndex } from 'typeorm';
import { SIGNING_KEY_GENERATION_INDEX } from '../../keys/entities/signing-key.entity';
import { dialectTypes } from '../dialect-types';

// Before this, every instance signed with the oldest key of its algorithm and the others never
// signed: the oldest gets the highest generation, the others are retired when they were created.
export class SigningKeyRotation1732233700000 implements MigrationInterface {
  name = 'SigningKeyRotation1732233700000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const { timestamp, now } = dialectTypes(queryRunner);
    await queryRunner.addColumns('signing_keys', [
      new TableColumn({ name: 'generation', type: 'integer', default: 0 }),
      new TableColumn({ name: 'activatesAt', type: timestamp, default: now }),
      new TableColumn({ name: 'retiredAt', type: timestamp, isNullable: true }),
    ]);
    await queryRunner.query('UPDATE "signing_keys" SET "activatesAt" = "createdAt"');

    const rows = (await queryRunner.query(
      'SELECT "kid", "alg" FROM "signing_keys" ORDER BY "alg", "createdAt", "kid"',
    )) as { kid: string; alg: string }[];
    const byAlg = new Map<string, string[]>();
    for (const { kid, alg } of rows) {
      byAlg.set(alg, [...(byAlg.get(alg) ?? []), kid]);
    }
    for (const [signer, ...losers] of byAlg.values()) {
      await this.setGeneration(queryRunner, signer, losers.length + 1, false);
      for (const [index, kid] of losers.entries()) {
        await this.setGeneration(queryRunner, kid, index + 1, true);
      }
    }

    await queryRunner.createIndex(
      'signing_keys',
      new TableIndex({
        name: SIGNING_KEY_GENERATION_INDEX,
        columnNames: ['alg', 'generation'],
        isUnique: true,
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropIndex('signing_keys', SIGNING_KEY_GENERATION_INDEX);
    await queryRunner.dropColumns('signing_keys', ['generation', 'activatesAt', 'retiredAt']);
  }

  private async setGeneration(
    queryRunner: QueryRunner,
    kid: string,
    generation: number,
    retired: boolean,
  ): Promise<void> {
    await queryRunner.manager
      .createQueryBuilder()
      .update('signing_keys')
      .set(retired ? { generation, retiredAt: () => '"createdAt"' } : { generation })
      .where('kid = :kid', { kid })
      .execute();
  }
}
