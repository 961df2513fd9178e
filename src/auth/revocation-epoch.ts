import { QueryRunner } from 'typeorm';

// Raised by trigger in every write that can end an access token: no write path can forget, and
// the raise commits or rolls back with the write. The Redis denylist raises it itself.
export const READ_REVOCATION_EPOCH = 'SELECT "value" FROM "revocation_epoch" WHERE "id" = 1';
export const RAISE_REVOCATION_EPOCH =
  'UPDATE "revocation_epoch" SET "value" = "value" + 1 WHERE "id" = 1';

/** `event` as CREATE TRIGGER spells it (`UPDATE OF "col"` too). */
export interface EpochTrigger {
  table: string;
  event: string;
}

const isPostgres = (queryRunner: QueryRunner): boolean =>
  queryRunner.connection.driver.options.type === 'postgres';

function triggerName({ table, event }: EpochTrigger): string {
  return `${table}_${event.split(' ')[0].toLowerCase()}_revocation_epoch`;
}

/** For migrations: each installs the triggers of the tables it adds to the per-request check. */
export async function createEpochTriggers(
  queryRunner: QueryRunner,
  triggers: readonly EpochTrigger[],
): Promise<void> {
  for (const trigger of triggers) {
    const { table, event } = trigger;
    await queryRunner.query(
      isPostgres(queryRunner)
        ? `CREATE TRIGGER "${triggerName(trigger)}" AFTER ${event} ON "${table}" ` +
            `FOR EACH ROW EXECUTE FUNCTION "bump_revocation_epoch"()`
        : `CREATE TRIGGER "${triggerName(trigger)}" AFTER ${event} ON "${table}" ` +
            `BEGIN ${RAISE_REVOCATION_EPOCH}; END`,
    );
  }
}

export async function dropEpochTriggers(
  queryRunner: QueryRunner,
  triggers: readonly EpochTrigger[],
): Promise<void> {
  for (const trigger of triggers) {
    const name = triggerName(trigger);
    await queryRunner.query(
      isPostgres(queryRunner)
        ? `DROP TRIGGER "${name}" ON "${trigger.table}"`
        : `DROP TRIGGER "${name}"`,
    );
  }
}
