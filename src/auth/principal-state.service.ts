import { Injectable } from '@nestjs/common';
import { EntityTarget, ObjectLiteral } from 'typeorm';
import { Client } from '../clients/entities/client.entity';
import { ClientsService } from '../clients/clients.service';
import { BoundedMemo } from '../platform/bounded-memo';
import { FreshRead } from '../platform/fresh-read';
import { PreparedStatements } from '../platform/prepared-statements';
import { PersonalAccessToken } from '../personal-access-tokens/entities/personal-access-token.entity';
import { PersonalAccessTokensService } from '../personal-access-tokens/personal-access-tokens.service';
import { Session } from '../sessions/entities/session.entity';
import { SessionsService } from '../sessions/sessions.service';
import { AccessTokenDenylist } from '../tokens/access-token-denylist';
import { RevokedAccessToken } from '../tokens/entities/revoked-access-token.entity';
import { User } from '../users/entities/user.entity';
import { UsersService } from '../users/users.service';
import { READ_REVOCATION_EPOCH } from './revocation-epoch';

const MAX_ENTRIES = 10_000;

/** Each write of `invalidatedBy` to `table` can end a token: it must raise the revocation epoch. */
export interface StateSource<T> {
  table: EntityTarget<ObjectLiteral>;
  invalidatedBy: ReadonlyArray<'INSERT' | 'UPDATE' | 'DELETE'>;
  load(key: string): Promise<T>;
  /** Absent rows are not kept: a row inserted later must be found. */
  keep?(value: T): boolean;
}

type Sources = {
  user: StateSource<User | null>;
  session: StateSource<Session | null>;
  client: StateSource<Client | null>;
  revoked: StateSource<boolean>;
  personalAccessToken: StateSource<PersonalAccessToken | null>;
};

export interface PrincipalState {
  user(id: string): Promise<User | null>;
  session(id: string): Promise<Session | null>;
  client(clientId: string): Promise<Client | null>;
  isRevoked(jti: string): Promise<boolean>;
  /** By the token's hash. */
  personalAccessToken(tokenHash: string): Promise<PersonalAccessToken | null>;
}

const found = <T>(value: T | null): boolean => value !== null;

const memoOf = <T>({ load, keep }: StateSource<T>) => new BoundedMemo(MAX_ENTRIES, load, keep);

class Generation implements PrincipalState {
  private readonly users: BoundedMemo<User | null>;
  private readonly sessions: BoundedMemo<Session | null>;
  private readonly clients: BoundedMemo<Client | null>;
  private readonly revoked: BoundedMemo<boolean>;
  private readonly personalAccessTokens: BoundedMemo<PersonalAccessToken | null>;

  constructor(
    readonly epoch: bigint,
    sources: Sources,
  ) {
    this.users = memoOf(sources.user);
    this.sessions = memoOf(sources.session);
    this.clients = memoOf(sources.client);
    this.revoked = memoOf(sources.revoked);
    this.personalAccessTokens = memoOf(sources.personalAccessToken);
  }

  user(id: string): Promise<User | null> {
    return this.users.get(id);
  }

  session(id: string): Promise<Session | null> {
    return this.sessions.get(id);
  }

  client(clientId: string): Promise<Client | null> {
    return this.clients.get(clientId);
  }

  isRevoked(jti: string): Promise<boolean> {
    return this.revoked.get(jti);
  }

  personalAccessToken(tokenHash: string): Promise<PersonalAccessToken | null> {
    return this.personalAccessTokens.get(tokenHash);
  }
}

/** Shared by every request of a generation: frozen, so no handler can alter another's view. */
function frozen<T extends object>(value: T | null): T | null {
  if (value !== null) {
    Object.values(value).forEach((field) => Array.isArray(field) && Object.freeze(field));
    Object.freeze(value);
  }
  return value;
}

// Each request reads the revocation epoch with a read started after it arrived (FreshRead), so it
// sees every revocation committed before it, on every instance.
@Injectable()
export class PrincipalStateService {
  readonly sources: Sources;
  private readonly epoch: FreshRead<bigint>;
  private generation: Generation;

  constructor(
    statements: PreparedStatements,
    users: UsersService,
    sessions: SessionsService,
    clients: ClientsService,
    denylist: AccessTokenDenylist,
    personalAccessTokens: PersonalAccessTokensService,
  ) {
    const rowChanges = ['UPDATE', 'DELETE'] as const;
    this.sources = {
      user: {
        table: User,
        invalidatedBy: rowChanges,
        load: (id) => users.findById(id).then(frozen),
        keep: found,
      },
      session: {
        table: Session,
        invalidatedBy: rowChanges,
        load: (id) => sessions.findById(id).then(frozen),
        keep: found,
      },
      client: {
        table: Client,
        invalidatedBy: rowChanges,
        load: (id) => clients.findById(id).then(frozen),
        keep: found,
      },
      // "Not revoked" is kept too: a revocation is an INSERT (the Redis store raises the epoch itself).
      revoked: {
        table: RevokedAccessToken,
        invalidatedBy: ['INSERT'],
        load: (jti) => denylist.isRevoked(jti),
      },
      // Not on lastUsedAt, written in the background: its trigger names the columns that end a token.
      personalAccessToken: {
        table: PersonalAccessToken,
        invalidatedBy: rowChanges,
        load: (tokenHash) => personalAccessTokens.findByHash(tokenHash).then(frozen),
        keep: found,
      },
    };
    this.generation = new Generation(-1n, this.sources);
    const readEpoch = statements.prepare(() => READ_REVOCATION_EPOCH);
    this.epoch = new FreshRead(async () => {
      // PostgreSQL returns a bigint as a string, SQLite as a number.
      const [row] = await readEpoch.rows<{ value: string | number }>();
      return BigInt(row.value);
    });
  }

  async current(): Promise<PrincipalState> {
    const epoch = await this.epoch.get();
    // Any other epoch, lower included (a database restored from a backup), starts afresh.
    if (epoch !== this.generation.epoch) {
      this.generation = new Generation(epoch, this.sources);
    }
    return this.generation;
  }
}
