/**
 * Shares one read among concurrent callers without ever handing a caller a value that was read
 * before it asked: a caller arriving while a read is in flight waits for the next one, which all
 * such callers share. Under load that is one read per round trip instead of one per caller, and
 * each caller still sees every write that committed before it called.
 */
export class FreshRead<T> {
  private inFlight?: Promise<T>;
  private queued?: Promise<T>;

  constructor(private readonly read: () => Promise<T>) {}

  get(): Promise<T> {
    if (!this.inFlight) {
      return this.start();
    }
    // The read in flight may have started before this call, so it cannot answer it.
    this.queued ??= this.inFlight.then(
      () => this.startQueued(),
      () => this.startQueued(),
    );
    return this.queued;
  }

  private startQueued(): Promise<T> {
    this.queued = undefined;
    return this.start();
  }

  private start(): Promise<T> {
    const reading = this.read().finally(() => {
      if (this.inFlight === reading) {
        this.inFlight = undefined;
      }
    });
    this.inFlight = reading;
    return reading;
  }
}
