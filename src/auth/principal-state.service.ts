import { Injectable } from '@nestjs/common';
import { BoundedMemo } from '../common/bounded-memo';
import { FreshRead } from '../common/fresh-read';
import { Client } from '../clients/entities/client.entity';
import { ClientsService } from '../clients/clients.service';
import { PreparedStatements } from '../database/prepared-statements';
import { Session } from '../sessions/entities/session.entity';
import { SessionsService } from '../sessions/sessions.service';
import { AccessTokenDenylist } from '../tokens/access-token-denylist';
import { User } from '../users/entities/user.entity';
import { UsersService } from '../users/users.service';

/** Per kind of entry; a hit costs a Map look-up, a miss one indexed query. */
const MAX_ENTRIES = 10_000;

/** What the per-request checks read, as the database held it at one revocation epoch. */
export interface PrincipalState {
  user(id: string): Promise<User | null>;
  session(id: string): Promise<Session | null>;
  client(clientId: string): Promise<Client | null>;
  isRevoked(jti: string): Promise<boolean>;
}

interface Loaders {
  users: UsersService;
  sessions: SessionsService;
  clients: ClientsService;
  denylist: AccessTokenDenylist;
}

const found = <T>(value: T | null): boolean => value !== null;

/**
 * Entries are shared by every request of a generation: frozen, so a handler that changed what it
 * was handed could not alter what another request's checks see.
 */
function frozen<T extends object>(value: T | null): T | null {
  if (value !== null) {
    for (const field of Object.values(value)) {
      if (Array.isArray(field)) {
        Object.freeze(field);
      }
    }
    Object.freeze(value);
  }
  return value;
}

class Generation implements PrincipalState {
  // Absent rows are not kept: a row inserted later (a new session) must be found at once.
  private readonly users: BoundedMemo<User | null>;
  private readonly sessions: BoundedMemo<Session | null>;
  private readonly clients: BoundedMemo<Client | null>;
  private readonly revoked: BoundedMemo<boolean>;

  constructor(
    readonly epoch: bigint,
    loaders: Loaders,
  ) {
    this.users = new BoundedMemo(
      MAX_ENTRIES,
      (id) => loaders.users.findById(id).then(frozen),
      found,
    );
    this.sessions = new BoundedMemo(
      MAX_ENTRIES,
      (id) => loaders.sessions.findById(id).then(frozen),
      found,
    );
    this.clients = new BoundedMemo(
      MAX_ENTRIES,
      (id) => loaders.clients.findById(id).then(frozen),
      found,
    );
    // "Not revoked" is kept too: a revocation is an INSERT, which moves the epoch.
    this.revoked = new BoundedMemo(MAX_ENTRIES, (jti) => loaders.denylist.isRevoked(jti));
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
}

/**
 * The state behind every access token check (account, session, client, denylist), answered from
 * memory while nothing that could revoke a token has changed anywhere.
 *
 * Every such write raises the revocation epoch in the same statement (database triggers, see the
 * RevocationEpoch migration), on whichever instance makes it; a denylist kept in Redis raises it
 * after writing its entry, before the revocation is answered. Each request reads the epoch with a
 * read that starts after the request arrived (shared among concurrent requests), and a new epoch
 * starts an empty generation. So a revocation committed before a request arrived is always seen
 * by it, on every instance, exactly as if each request queried every table itself.
 */
@Injectable()
export class PrincipalStateService {
  private readonly epoch: FreshRead<bigint>;
  private readonly loaders: Loaders;
  private generation: Generation;

  constructor(
    statements: PreparedStatements,
    users: UsersService,
    sessions: SessionsService,
    clients: ClientsService,
    denylist: AccessTokenDenylist,
  ) {
    this.loaders = { users, sessions, clients, denylist };
    this.generation = new Generation(-1n, this.loaders);
    // Every authenticated request waits for this read, so it is a statement prepared once.
    const readEpoch = statements.prepare(
      () => 'SELECT "value" FROM "revocation_epoch" WHERE "id" = 1',
    );
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
      this.generation = new Generation(epoch, this.loaders);
    }
    return this.generation;
  }
}
