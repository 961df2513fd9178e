import { plainToInstance } from 'class-transformer';
import { randomUUID } from 'node:crypto';
import { SelectQueryBuilder } from 'typeorm';
import { MigratedDatabase, openMigratedDatabase } from '../../test/utils/test-database';
import { encodeCursor } from '../common/keyset-cursor';
import { ListUsersQuery } from './dto/list-users.query';
import { User } from './entities/user.entity';
import { UserSearch } from './user-search.service';

const databases: Array<'sqlite' | 'postgres'> = ['sqlite'];
if (process.env.TEST_DATABASE_URL) {
  databases.push('postgres');
}

const query = (fields: Record<string, string>) => plainToInstance(ListUsersQuery, fields);
const AFTER = encodeCursor('users', { at: new Date('2026-01-01T00:00:00Z'), id: randomUUID() });

// The plan a database would pick on a large table: on a near-empty one a scan (or a sort) is
// cheapest, so PostgreSQL is told to avoid them if it can; an index it cannot use leaves one.
async function plan(
  database: MigratedDatabase,
  builder: SelectQueryBuilder<User>,
  avoid: Array<'seqscan' | 'sort'> = ['seqscan'],
) {
  const [sql, parameters] = builder.getQueryAndParameters();
  const { dataSource } = database;
  if (dataSource.options.type !== 'postgres') {
    const rows = await dataSource.query<Array<{ detail: string }>>(
      `EXPLAIN QUERY PLAN ${sql}`,
      parameters,
    );
    return rows.map((row) => row.detail).join('\n');
  }
  return dataSource.transaction(async (manager) => {
    for (const step of avoid) {
      await manager.query(`SET LOCAL enable_${step} = off`);
    }
    const rows = await manager.query<Array<{ 'QUERY PLAN': string }>>(`EXPLAIN ${sql}`, parameters);
    return rows.map((row) => row['QUERY PLAN']).join('\n');
  });
}

describe.each(databases)('UserSearch plans on %s', (type) => {
  let database: MigratedDatabase;
  let search: UserSearch;

  beforeAll(async () => {
    database = await openMigratedDatabase(type);
    search = new UserSearch(database.dataSource.getRepository(User));
  });

  afterAll(async () => {
    await database.close();
  });

  it('finds a prefix of the username or email through their indexes, never a scan', async () => {
    const text = await plan(database, search.searchQuery(query({ q: 'Ada' })));
    if (type === 'postgres') {
      expect(text).toContain('IDX_users_normalized_username_prefix');
      expect(text).toContain('IDX_users_email_prefix');
      expect(text).not.toContain('Seq Scan');
    } else {
      expect(text).toMatch(/MULTI-INDEX OR/);
      expect(text).toMatch(
        /SEARCH user USING INDEX \S+ \(normalizedUsername>\? AND normalizedUsername<\?\)/,
      );
      expect(text).toMatch(/SEARCH user USING INDEX \S+ \(email>\? AND email<\?\)/);
      expect(text).not.toMatch(/SCAN user/);
    }
  });

  it('walks the (createdAt, id) index past a cursor, never sorting the table', async () => {
    const text = await plan(database, search.pageQuery(query({ after: AFTER })), [
      'seqscan',
      'sort',
    ]);
    if (type === 'postgres') {
      expect(text).toContain('IDX_users_created_at_id');
      expect(text).not.toMatch(/Seq Scan|Sort/);
    } else {
      expect(text).toContain('SEARCH user USING INDEX IDX_users_created_at_id');
      expect(text).not.toContain('TEMP B-TREE');
    }
  });

  it('pages a search with few matches by sorting them, never walking the creation order', async () => {
    const text = await plan(database, search.pageQuery(query({ q: 'Ada', after: AFTER }), 3), [
      'seqscan',
      'sort',
    ]);
    expect(text).not.toContain('IDX_users_created_at_id');
    if (type === 'postgres') {
      expect(text).toContain('IDX_users_normalized_username_prefix');
      expect(text).toContain('IDX_users_email_prefix');
      expect(text).not.toContain('Seq Scan');
    } else {
      expect(text).toMatch(/MULTI-INDEX OR/);
      expect(text).not.toMatch(/SCAN user\b/);
    }
  });

  it('pages a search with many matches down the creation order, never sorting them all', async () => {
    const text = await plan(database, search.pageQuery(query({ q: 'a', after: AFTER })), [
      'seqscan',
      'sort',
    ]);
    if (type === 'postgres') {
      expect(text).toContain('IDX_users_created_at_id');
      expect(text).not.toMatch(/Seq Scan|Sort/);
    } else {
      expect(text).toContain('SEARCH user USING INDEX IDX_users_created_at_id');
      expect(text).not.toContain('TEMP B-TREE');
    }
  });

  it('finds a substring through pg_trgm on PostgreSQL; SQLite scans (the documented fallback)', async () => {
    const text = await plan(
      database,
      search.searchQuery(query({ q: 'love', search: 'substring' })),
    );
    if (type === 'postgres') {
      expect(text).toContain('IDX_users_normalized_username_trgm');
      expect(text).toContain('IDX_users_email_trgm');
      expect(text).toContain('IDX_users_full_name_trgm');
      expect(text).not.toContain('Seq Scan');
    } else {
      expect(text).toMatch(/SCAN user/);
    }
  });
});
