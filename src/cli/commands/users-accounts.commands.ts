import { isUUID } from 'class-validator';
import { Option, SubCommand } from 'nest-commander';
import { toSessionResponse } from '../../sessions/dto/session.response';
import { Session } from '../../sessions/entities/session.entity';
import { SessionsService } from '../../sessions/sessions.service';
import { CreateUserDto } from '../../users/dto/create-user.dto';
import { ListUsersQuery } from '../../users/dto/list-users.query';
import { toUserResponse, UserResponse } from '../../users/dto/user.response';
import { UserSearch } from '../../users/user-search.service';
import { UsersService } from '../../users/users.service';
import { cliInitiator } from '../cli-initiator';
import { UsageError } from '../exit-codes';
import { printLine, printRecord, printTable, report } from '../output';
import { PortcullisApp } from '../portcullis-app';
import { readSecret } from '../secret-input';
import { findUser } from '../user-argument';
import { validated } from '../validated';
import { collect, JsonOption, PortcullisCommand } from './portcullis-command';

const USER_COLUMNS = ['id', 'username', 'email', 'roles', 'disabled', 'mfaEnabled'] as const;

const userRow = (user: UserResponse) => ({ ...user, roles: user.roles.join(',') });

interface CreateOptions extends JsonOption {
  email?: string;
  fullName?: string;
  role?: string[];
}

@SubCommand({
  name: 'create',
  arguments: '<username>',
  description: 'create a user; the password is read from stdin or a prompt',
})
export class UsersCreateCommand extends PortcullisCommand<CreateOptions> {
  constructor(private readonly app: PortcullisApp) {
    super();
  }

  async run([username]: string[], { email, fullName, role, json }: CreateOptions): Promise<void> {
    const input = await validated(CreateUserDto, {
      username,
      email,
      fullName,
      roles: role,
      password: await readSecret('password'),
    });
    const users = await this.app.get(UsersService);
    const user = toUserResponse(await users.create(input, cliInitiator()));
    report(json, user, () => printRecord(userRow(user)));
  }

  @Option({ flags: '--email <address>', description: 'email address' })
  parseEmail(value: string): string {
    return value;
  }

  @Option({ flags: '--full-name <name>', description: 'full name' })
  parseFullName(value: string): string {
    return value;
  }

  @Option({ flags: '--role <role>', description: 'a role (repeat, or separate with commas)' })
  parseRole(value: string, previous?: string[]): string[] {
    return collect(value, previous);
  }
}

interface ListOptions extends JsonOption {
  query?: string;
  search?: string;
  limit?: string;
  offset?: string;
  after?: string;
}

@SubCommand({ name: 'list', description: 'list users, oldest first' })
export class UsersListCommand extends PortcullisCommand<ListOptions> {
  constructor(private readonly app: PortcullisApp) {
    super();
  }

  async run(_parameters: string[], options: ListOptions): Promise<void> {
    const { query, search, limit, offset, after, json } = options;
    const listing = await validated(ListUsersQuery, { q: query, search, limit, offset, after });
    const { items, total, totalExact, next } = await (await this.app.get(UserSearch)).list(listing);
    const users = items.map(toUserResponse);
    report(json, { items: users, total, totalExact, next }, () => {
      printTable(users.map(userRow), [...USER_COLUMNS]);
      printLine(`${users.length} of ${totalExact ? '' : 'at least '}${total}`);
      if (next) {
        printLine(`next page: --after ${next}`);
      }
    });
  }

  @Option({ flags: '-q, --query <text>', description: 'the start of a username or email' })
  parseQuery(value: string): string {
    return value;
  }

  @Option({ flags: '--search <mode>', description: 'prefix (default) or substring' })
  parseSearch(value: string): string {
    return value;
  }

  @Option({ flags: '--after <cursor>', description: 'the page after this cursor' })
  parseAfter(value: string): string {
    return value;
  }

  @Option({ flags: '--limit <n>', description: 'at most this many' })
  parseLimit(value: string): string {
    return value;
  }

  @Option({ flags: '--offset <n>', description: 'skip this many' })
  parseOffset(value: string): string {
    return value;
  }
}

@SubCommand({ name: 'show', arguments: '<user>', description: 'one user, by id or username' })
export class UsersShowCommand extends PortcullisCommand {
  constructor(private readonly app: PortcullisApp) {
    super();
  }

  async run([name]: string[], { json }: JsonOption): Promise<void> {
    const user = toUserResponse(await findUser(await this.app.get(UsersService), name));
    report(json, user, () => printRecord(userRow(user)));
  }
}

@SubCommand({
  name: 'delete',
  arguments: '<user>',
  description: 'delete a user; their tokens stop working at once',
})
export class UsersDeleteCommand extends PortcullisCommand {
  constructor(private readonly app: PortcullisApp) {
    super();
  }

  async run([name]: string[], { json }: JsonOption): Promise<void> {
    const users = await this.app.get(UsersService);
    const { id, username } = await findUser(users, name);
    await users.remove(id, cliInitiator());
    report(json, { id, username, deleted: true }, () => printLine(`Deleted ${username} (${id})`));
  }
}

@SubCommand({ name: 'sessions', arguments: '<user>', description: "a user's active sessions" })
export class UsersSessionsCommand extends PortcullisCommand {
  constructor(private readonly app: PortcullisApp) {
    super();
  }

  async run([name]: string[], { json }: JsonOption): Promise<void> {
    const user = await findUser(await this.app.get(UsersService), name);
    const service = await this.app.get(SessionsService);
    const sessions: Session[] = [];
    for (let after: string | undefined; ;) {
      const page = await service.listForUser(user, { limit: 100, after });
      sessions.push(...page.items);
      if (!page.next) {
        break;
      }
      after = page.next;
    }
    const rows = sessions.map((session) => {
      const { current: _current, ...row } = toSessionResponse(session);
      return row;
    });
    report(json, rows, () =>
      printTable(rows, ['id', 'createdAt', 'lastUsedAt', 'ip', 'userAgent']),
    );
  }
}

@SubCommand({
  name: 'end-sessions',
  arguments: '<user> [session]',
  description: "end one of a user's sessions (an id from users sessions), or without one all",
})
export class UsersEndSessionsCommand extends PortcullisCommand {
  constructor(private readonly app: PortcullisApp) {
    super();
  }

  async run([name, sessionId]: string[], { json }: JsonOption): Promise<void> {
    if (sessionId !== undefined && !isUUID(sessionId)) {
      throw new UsageError(`${JSON.stringify(sessionId)} is not a session id`);
    }
    const { id, username } = await findUser(await this.app.get(UsersService), name);
    const sessions = await this.app.get(SessionsService);
    if (sessionId === undefined) {
      await sessions.endAllForUser(id, cliInitiator(), 'admin');
    } else {
      await sessions.endForUser(id, sessionId, cliInitiator(), 'admin');
    }
    const ended = sessionId ?? 'all';
    report(json, { id, username, ended }, () =>
      printLine(`${username}: ${sessionId === undefined ? 'every session' : sessionId} ended`),
    );
  }
}
