// Never hands a caller a value read before it asked: callers arriving during a read share the next
// one. One read per round trip instead of one per caller.
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
