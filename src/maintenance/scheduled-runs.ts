import { Injectable } from '@nestjs/common';
import { PreparedStatement, PreparedStatements } from '../platform/prepared-statements';

/**
 * Jobs that every instance schedules but one instance runs: the first to claim a run after
 * `intervalMs` since the last one gets it, decided by one conditional UPDATE in the database.
 */
@Injectable()
export class ScheduledRuns {
  private readonly register: PreparedStatement;
  private readonly take: PreparedStatement;

  constructor(statements: PreparedStatements) {
    this.register = statements.prepare(
      (p) =>
        `INSERT INTO "scheduled_runs" ("name", "lastRunAt") VALUES (${p(1)}, 0)` +
        ' ON CONFLICT ("name") DO NOTHING',
    );
    this.take = statements.prepare(
      (p) =>
        `UPDATE "scheduled_runs" SET "lastRunAt" = ${p(2)}` +
        ` WHERE "name" = ${p(1)} AND "lastRunAt" <= ${p(3)}`,
    );
  }

  /** True for exactly one caller, across instances, per `intervalMs`. */
  async claim(name: string, intervalMs: number, now = Date.now()): Promise<boolean> {
    await this.register.run([name]);
    // A little under the interval: timers of one instance drift, and must not skip a run.
    const due = now - Math.floor(intervalMs * 0.9);
    return (await this.take.run([name, now, due])) === 1;
  }
}
