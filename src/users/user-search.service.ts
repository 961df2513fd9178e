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
    const [rows, counted] = await Promise.all([this.pageQuery(query).getMany(), this.count(query)]);
    const page = pageOf('users', rows, query.limit, (user) => ({
      at: user.createdAt,
      id: user.id,
    }));
    const totalExact = query.total === 'exact' || counted <= LIST_WINDOW;
    return { ...page, total: totalExact ? counted : LIST_WINDOW, totalExact };
  }

  /** The statement behind a page (its plan is checked in tests). */
  pageQuery(query: ListUsersQuery): SelectQueryBuilder<User> {
    const builder = this.searchQuery(query)
      .orderBy('user.createdAt', 'ASC')
      .addOrderBy('user.id', 'ASC')
      .limit(query.limit + 1);
    if (query.after !== undefined) {
      const { at, id } = cursorPosition('users', query.after);
      builder.andWhere('("user"."createdAt", "user"."id") > (:at, :id)', { at, id });
    } else if (query.offset) {
      builder.offset(query.offset);
    }
    return builder;
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
  searchQuery(query: ListUsersQuery): SelectQueryBuilder<User> {
    const builder = this.users.createQueryBuilder('user');
    if (!query.q) {
      return builder;
    }
    const text = query.q.toLowerCase();
    if (query.search === 'substring') {
      return builder.where(this.substringCondition(), { contains: `%${escapeLike(text)}%` });
    }
    return builder.where(this.prefixCondition(), {
      starts: `${escapeLike(text)}%`,
      low: text,
      high: prefixEnd(text),
    });
  }

  // PostgreSQL turns LIKE 'x%' into a range over the text_pattern_ops indexes; SQLite's LIKE
  // is case-insensitive and would need NOCASE indexes, so it gets the range itself.
  private prefixCondition(): string {
    if (this.isPostgres()) {
      return '("user"."normalizedUsername" LIKE :starts OR "user"."email" LIKE :starts)';
    }
    return (
      '(("user"."normalizedUsername" >= :low AND "user"."normalizedUsername" < :high)' +
      ' OR ("user"."email" >= :low AND "user"."email" < :high))'
    );
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
