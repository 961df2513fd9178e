import { MigrationInterface, QueryRunner } from 'typeorm';

const COLUMNS = [
  '"inFlight" integer NOT NULL DEFAULT 0',
  '"inFlightUntil" bigint NOT NULL DEFAULT 0',
  '"inFlightGeneration" bigint NOT NULL DEFAULT 0',
];

/** Login attempts whose password is still being checked (docs/security.md, Throttling). */
export class ThrottleInFlight1732234300000 implements MigrationInterface {
  name = 'ThrottleInFlight1732234300000';

  async up(queryRunner: QueryRunner): Promise<void> {
    for (const column of COLUMNS) {
      await queryRunner.query(`ALTER TABLE "throttle_counters" ADD COLUMN ${column}`);
    }
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const column of ['inFlightGeneration', 'inFlightUntil', 'inFlight']) {
      await queryRunner.query(`ALTER TABLE "throttle_counters" DROP COLUMN "${column}"`);
    }
  }
}
