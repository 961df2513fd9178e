import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { AuditEvent } from '../audit/entities/audit-event.entity';
import { MigratedDatabase, openMigratedDatabase } from '../../test/utils/test-database';
import { Transactions } from './transactions';

const databases: Array<'sqlite' | 'postgres'> = ['sqlite'];
if (process.env.TEST_DATABASE_URL) {
  databases.push('postgres');
}

describe.each(databases)('Transactions on %s', (type) => {
  let database: MigratedDatabase;

  beforeAll(async () => {
    database = await openMigratedDatabase(type);
  });

  afterAll(async () => {
    await database.close();
  });

  const event = (): AuditEvent => ({
    id: randomUUID(),
    type: 'user_updated',
    userId: null,
    clientId: null,
    ip: null,
    userAgent: null,
    at: new Date(),
    detail: {},
  });

  it('commits both of two transactions that lock two rows in opposite orders', async () => {
    const transactions = new Transactions(database.dataSource);
    const [a, b] = [event(), event()];
    await database.dataSource.getRepository(AuditEvent).insert([a, b]);
    let attempts = 0;
    let holding = 0;
    // Each first attempt waits (briefly: SQLite runs them one at a time) until both hold a row.
    const bothHolding = async () => {
      holding += 1;
      for (let waited = 0; holding < 2 && waited < 1000; waited += 20) {
        await sleep(20);
      }
    };
    const lockInOrder = (first: AuditEvent, second: AuditEvent, mark: string) =>
      transactions.run(async (manager) => {
        attempts += 1;
        await manager.update(AuditEvent, { id: first.id }, { type: `${mark}_first` });
        if (attempts <= 2) {
          await bothHolding();
        }
        await manager.update(AuditEvent, { id: second.id }, { type: `${mark}_second` });
      });

    await Promise.all([lockInOrder(a, b, 'ab'), lockInOrder(b, a, 'ba')]);
    await transactions.onApplicationShutdown();

    const rows = await database.dataSource
      .getRepository(AuditEvent)
      .findBy([{ id: a.id }, { id: b.id }]);
    // Whichever committed last wrote both rows' final values; neither transaction was lost.
    expect(new Set(rows.map((row) => row.type.split('_')[0])).size).toBe(1);
    // PostgreSQL ended one of them in a deadlock, and it ran again.
    expect(attempts).toBe(type === 'postgres' ? 3 : 2);
  });
});
