import { MigrationInterface, QueryRunner, TableColumn } from 'typeorm';
import { dialectTypes } from '../dialect-types';

// Existing keys keep their `activatesAt`, so the key that signs keeps signing; a key retires when
// the next one above it starts, which is what `retiredAt` recorded. The first start afterwards
// publishes a next key (SigningKeysService).
export class NextSigningKey1732234400000 implements MigrationInterface {
  name = 'NextSigningKey1732234400000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropColumn('signing_keys', 'retiredAt');
    await this.alterActivatesAt(queryRunner, (column) => {
      column.isNullable = true;
      column.default = undefined;
    });
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    const { timestamp, now } = dialectTypes(queryRunner);
    const above = `FROM "signing_keys" "above" WHERE "above"."alg" = "signing_keys"."alg" AND "above"."generation" > "signing_keys"."generation"`;
    // A promoted key signed from when the key above it was published; a next key never signed.
    await queryRunner.query(
      `UPDATE "signing_keys" SET "activatesAt" = (SELECT "above"."createdAt" ${above}` +
        ` ORDER BY "above"."generation" LIMIT 1) WHERE "activatesAt" IS NULL`,
    );
    await queryRunner.query('DELETE FROM "signing_keys" WHERE "activatesAt" IS NULL');
    await queryRunner.addColumn(
      'signing_keys',
      new TableColumn({ name: 'retiredAt', type: timestamp, isNullable: true }),
    );
    await queryRunner.query(
      `UPDATE "signing_keys" SET "retiredAt" = (SELECT MIN("above"."activatesAt") ${above})`,
    );
    await this.alterActivatesAt(queryRunner, (column) => {
      column.isNullable = false;
      column.default = now;
    });
  }

  /** From the column as it is: a column of another type name would be dropped and added empty. */
  private async alterActivatesAt(
    queryRunner: QueryRunner,
    change: (column: TableColumn) => void,
  ): Promise<void> {
    const table = await queryRunner.getTable('signing_keys');
    const column = table?.findColumnByName('activatesAt');
    if (!table || !column) {
      throw new Error('signing_keys.activatesAt is missing');
    }
    const changed = column.clone();
    change(changed);
    await queryRunner.changeColumn(table, column, changed);
  }
}
