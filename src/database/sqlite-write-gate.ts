import * as sqlite3 from 'sqlite3';

const WRITE = /^\s*(INSERT|UPDATE|DELETE|REPLACE)\b/i;

export const isWrite = (sql: string): boolean => WRITE.test(sql);

const gateTimeout = () =>
  Object.assign(new Error('SQLITE_BUSY: a transaction held the database too long'), {
    code: 'SQLITE_BUSY',
  });

/**
 * Who writes to a SQLite file, decided in this process rather than by SQLite's busy handler: a
 * statement waiting on SQLite's lock holds a thread of libuv's pool (node-sqlite3 runs there) for
 * as long as it waits, and enough of them starve the very transaction they wait for. Plain writes
 * share the gate; a transaction (Transactions) takes it alone once the writes in flight are done.
 */
export class WriteGate {
  private shared = 0;
  private exclusiveHeld = false;
  /** First come, first served, so that neither plain writes nor transactions starve. */
  private readonly waiting: Array<{ exclusive: boolean; grant: () => void }> = [];

  constructor(private readonly timeoutMs: number) {}

  /** A plain write: at once unless a transaction holds or awaits the gate; 503 after the timeout. */
  async write<T>(submit: () => Promise<T>): Promise<T> {
    if (this.exclusiveHeld || this.waiting.length > 0) {
      await this.enqueue(false);
    } else {
      this.shared += 1;
    }
    try {
      return await submit();
    } finally {
      this.shared -= 1;
      this.dispatch();
    }
  }

  async exclusive<T>(work: () => Promise<T>): Promise<T> {
    if (this.exclusiveHeld || this.shared > 0 || this.waiting.length > 0) {
      await this.enqueue(true);
    } else {
      this.exclusiveHeld = true;
    }
    try {
      return await work();
    } finally {
      this.exclusiveHeld = false;
      this.dispatch();
    }
  }

  private enqueue(exclusive: boolean): Promise<void> {
    return new Promise((resolve, reject) => {
      const entry = {
        exclusive,
        grant: () => {
          clearTimeout(timer);
          resolve();
        },
      };
      const timer = setTimeout(() => {
        this.waiting.splice(this.waiting.indexOf(entry), 1);
        reject(gateTimeout());
        this.dispatch();
      }, this.timeoutMs);
      this.waiting.push(entry);
    });
  }

  private dispatch(): void {
    while (this.waiting.length > 0 && !this.exclusiveHeld) {
      const next = this.waiting[0];
      if (next.exclusive) {
        if (this.shared > 0) {
          return;
        }
        this.exclusiveHeld = true;
      } else {
        this.shared += 1;
      }
      this.waiting.shift();
      next.grant();
    }
  }
}

const gates = new Map<string, WriteGate>();

/** The gate of a database file, shared by every connection this process opens to it. */
export function writeGateFor(path: string, timeoutMs = 5000): WriteGate {
  let gate = gates.get(path);
  if (!gate) {
    gate = new WriteGate(timeoutMs);
    gates.set(path, gate);
  }
  return gate;
}

type Callback = (this: unknown, error: Error | null, ...results: unknown[]) => void;

/** sqlite3's Database, its writes through the file's gate (TypeORM's queries take this way). */
class GatedDatabase extends sqlite3.Database {
  private readonly gate: WriteGate;

  constructor(filename: string, ...rest: unknown[]) {
    super(filename, ...(rest as [number, Callback]));
    this.gate = writeGateFor(filename);
  }

  override run(sql: string, ...params: unknown[]): this {
    return this.gated(sql, params, (args) => super.run(sql, ...args));
  }

  override all(sql: string, ...params: unknown[]): this {
    return this.gated(sql, params, (args) => super.all(sql, ...args));
  }

  private gated(sql: string, params: unknown[], submit: (args: unknown[]) => unknown): this {
    const callback = params.at(-1);
    if (!isWrite(sql) || typeof callback !== 'function') {
      submit(params);
      return this;
    }
    const done = callback as Callback;
    void this.gate
      .write(
        () =>
          new Promise<void>((settled) => {
            submit([
              ...params.slice(0, -1),
              function (this: unknown, error: Error | null, ...results: unknown[]) {
                settled();
                done.call(this, error, ...results);
              },
            ]);
          }),
      )
      .catch((error: Error) => done.call({ changes: 0, lastID: 0 }, error));
    return this;
  }
}

/**
 * The sqlite3 module as TypeORM loads it (it calls `verbose()`), without the trace `verbose()`
 * would add to every query (17 % of GET /users/me), and gated unless `gated` is false.
 */
export function sqliteDriver(gated: boolean): object {
  const driver = gated ? { ...sqlite3, Database: GatedDatabase } : sqlite3;
  return { ...sqlite3, verbose: () => driver };
}
