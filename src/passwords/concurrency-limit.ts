// argon2 shares libuv's pool with file system, DNS and crypto calls: an uncapped login flood would
// fill every thread (and allocate m KiB per hash) and stall the rest of the service.
// Waiting `background` work (new hashes: registrations, password changes) goes after waiting
// logins, so a registration flood slows registrations, not logins; but not for ever: one slot in
// BACKGROUND_SHARE goes to it while both wait, or a login flood would hold back a password change.
export type Priority = 'login' | 'background';

const BACKGROUND_SHARE = 4;

export class ConcurrencyLimit {
  private active = 0;
  private loginsInARow = 0;
  private readonly waiting: Record<Priority, Array<() => void>> = { login: [], background: [] };

  constructor(readonly max: number) {
    if (!Number.isInteger(max) || max < 1) {
      throw new RangeError(`max must be a positive integer, got ${max}`);
    }
  }

  get queued(): number {
    return this.waiting.login.length + this.waiting.background.length;
  }

  get running(): number {
    return this.active;
  }

  async run<T>(task: () => Promise<T>, priority: Priority = 'login'): Promise<T> {
    if (this.active >= this.max) {
      // The slot is handed over by release(), so `active` already counts this task on wake-up.
      await new Promise<void>((resolve) => this.waiting[priority].push(resolve));
    } else {
      this.active += 1;
    }
    try {
      return await task();
    } finally {
      this.release();
    }
  }

  private release(): void {
    const { login, background } = this.waiting;
    const takeBackground =
      background.length > 0 && (login.length === 0 || this.loginsInARow >= BACKGROUND_SHARE - 1);
    const next = takeBackground ? background.shift() : login.shift();
    this.loginsInARow = takeBackground || !next ? 0 : this.loginsInARow + 1;
    if (next) {
      next();
    } else {
      this.active -= 1;
    }
  }
}
