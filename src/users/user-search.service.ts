import { BadRequestException, Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository, SelectQueryBuilder } from 'typeorm';
import { cursorPosition, pageOf } from '../common/keyset-cursor';
import { LIST_WINDOW, ListUsersQuery } from './dto/list-users.query';
import { User } from './entities/user.entity';

export interface UserPage {
  items: User[];
  total: number;
  totalExact: boolean;
  next: string | null;
}

const escapeLike = (text: string) => text.replace(/[\\%_]/g, (char) => `\\${char}`);

/** The first string past every string that starts with `prefix`, in code point order. */
function prefixEnd(prefix: string): string {
  const points = [...prefix];
  const last = points.pop()?.codePointAt(0) ?? 0;
  return points.join('') + String.fromCodePoint(Math.min(last + 1, 0x10ffff));
}

/**
 * The administrators' user list: oldest first, a page at a time past a cursor, searched through
 * indexes. Usernames and emails are stored lower-cased (normalizeUsername, EmailField), so a
 * lower-cased query compares with them directly and the indexes on the columns serve.
 */
@Injectable()
export class UserSearch {
  constructor(@InjectRepository(User) private readonly users: Repository<User>) {}

  async list(query: ListUsersQuery): Promise<UserPage> {
    if (query.after !== undefined && query.offset !== undefined) {
      throw new BadRequestException('Page with either after or offset, not both');
    }
    const counted = await this.count(query);
    const rows = await this.pageQuery(query, counted).getMany();
    const page = pageOf('users', rows, query.limit, (user) => ({
      at: user.createdAt,
      id: user.id,
    }));
    const totalExact = query.total === 'exact' || counted <= LIST_WINDOW;
    return { ...page, total: totalExact ? counted : LIST_WINDOW, totalExact };
  }

  /**
   * The statement behind a page (its plan is checked in tests). A search with few matches
   * (`matching`, counted up to the window) gathers them through the search indexes and sorts
   * them; walking the (createdAt, id) index instead, as a database picks for a short page, reads
   * every older row that does not match first.
   */
  pageQuery(query: ListUsersQuery, matching = Infinity): SelectQueryBuilder<User> {
    const fewMatches = query.q !== undefined && query.q !== '' && matching <= LIST_WINDOW;
    return fewMatches ? this.sortedMatchesPage(query) : this.creationOrderPage(query);
  }

  private creationOrderPage(query: ListUsersQuery): SelectQueryBuilder<User> {
    const builder = this.afterCursor(this.searchQuery(query, 'creation order'), query)
      .orderBy('user.createdAt', 'ASC')
      .addOrderBy('user.id', 'ASC')
      .limit(query.limit + 1);
    return query.offset ? builder.offset(query.offset) : builder;
  }

  // Both steps are fenced (MATERIALIZED), so that the planner can neither walk the creation
  // order for the matches nor join the whole table to them on a poor estimate.
  private sortedMatchesPage(query: ListUsersQuery): SelectQueryBuilder<User> {
    const matches = this.afterCursor(this.searchQuery(query), query)
      .select('user.id', 'id')
      .addSelect('user.createdAt', 'createdAt');
    const page = this.users.manager
      .createQueryBuilder()
      .select(['"id"', '"createdAt"'])
      .from('matches', 'matches')
      .orderBy('"createdAt"', 'ASC')
      .addOrderBy('"id"', 'ASC')
      .limit(query.limit + 1)
      .offset(query.offset ?? 0);
    return this.users
      .createQueryBuilder('user')
      .addCommonTableExpression(matches, 'matches', { materialized: true })
      .addCommonTableExpression(page, 'page', { materialized: true })
      .innerJoin('page', 'page', '"page"."id" = "user"."id"')
      .orderBy('"page"."createdAt"', 'ASC')
      .addOrderBy('"page"."id"', 'ASC');
  }

  private afterCursor(
    builder: SelectQueryBuilder<User>,
    query: ListUsersQuery,
  ): SelectQueryBuilder<User> {
    if (query.after === undefined) {
      return builder;
    }
    const { at, id } = cursorPosition('users', query.after);
    return builder.andWhere('("user"."createdAt", "user"."id") > (:at, :id)', { at, id });
  }

  private async count(query: ListUsersQuery): Promise<number> {
    const matching = this.searchQuery(query);
    if (query.total === 'exact') {
      return matching.getCount();
    }
    const [sql, parameters] = matching
      .select('1')
      .limit(LIST_WINDOW + 1)
      .getQueryAndParameters();
    const [row] = await this.users.query<Array<{ n: number | string }>>(
      `SELECT COUNT(*) AS n FROM (${sql}) matches`,
      parameters,
    );
    return Number(row.n);
  }

  /** The users that match q, unordered (its plan is checked in tests, too). */
  searchQuery(
    query: ListUsersQuery,
    walking: 'creation order' | 'search indexes' = 'search indexes',
  ): SelectQueryBuilder<User> {
    const builder = this.users.createQueryBuilder('user');
    if (!query.q) {
      return builder;
    }
    const text = query.q.toLowerCase();
    if (query.search === 'substring') {
      return builder.where(this.substringCondition(), { contains: `%${escapeLike(text)}%` });
    }
    return builder.where(this.prefixCondition(walking), { low: text, high: prefixEnd(text) });
  }

  // A range over the b-tree indexes: PostgreSQL's pattern operators (what its LIKE 'x%' becomes
  // under text_pattern_ops, but which the pg_trgm indexes cannot serve, so its planner cannot
  // take them instead); SQLite's plain comparisons, since its LIKE ignores case and would need
  // NOCASE indexes. SQLite would gather a million matches through these indexes and sort them
  // for one page; a unary plus keeps it on the creation order's index when that is the plan.
  private prefixCondition(walking: 'creation order' | 'search indexes'): string {
    const postgres = this.isPostgres();
    const [atLeast, below] = postgres ? ['~>=~', '~<~'] : ['>=', '<'];
    const unindexed = !postgres && walking === 'creation order' ? '+' : '';
    const range = (column: string) =>
      `(${unindexed}"user"."${column}" ${atLeast} :low AND ${unindexed}"user"."${column}" ${below} :high)`;
    return `(${range('normalizedUsername')} OR ${range('email')})`;
  }

  // Backslash is PostgreSQL's default escape; naming it would hide the pattern from pg_trgm.
  private substringCondition(): string {
    const escape = this.isPostgres() ? '' : " ESCAPE '\\'";
    return `("user"."normalizedUsername" LIKE :contains${escape} OR "user"."email" LIKE :contains${escape} OR LOWER("user"."fullName") LIKE :contains${escape})`;
  }

  private isPostgres(): boolean {
    return this.users.manager.connection.options.type === 'postgres';
  }
}
