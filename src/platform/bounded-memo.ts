// Concurrent callers share one load. A failed load, or a value `keep` refuses, is dropped; when
// full, the oldest entry goes: memory stays bounded whatever the callers send.
export class BoundedMemo<T> {
  private readonly entries = new Map<string, Promise<T>>();

  constructor(
    private readonly maxEntries: number,
    private readonly load: (key: string) => Promise<T>,
    private readonly keep: (value: T) => boolean = () => true,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  get(key: string): Promise<T> {
    const cached = this.entries.get(key);
    if (cached) {
      return cached;
    }
    if (this.entries.size >= this.maxEntries) {
      const oldest = this.entries.keys().next();
      if (!oldest.done) {
        this.entries.delete(oldest.value);
      }
    }
    const loading = this.load(key).then(
      (value) => {
        if (!this.keep(value)) {
          this.forget(key, loading);
        }
        return value;
      },
      (error: unknown) => {
        this.forget(key, loading);
        throw error;
      },
    );
    this.entries.set(key, loading);
    return loading;
  }

  private forget(key: string, loading: Promise<T>): void {
    if (this.entries.get(key) === loading) {
      this.entries.delete(key);
    }
  }
}
