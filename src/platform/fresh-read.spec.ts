import { FreshRead } from './fresh-read';

/** A read whose answer the test gives, one pending read at a time. */
function controlledReads() {
  const pending: { resolve(value: number): void; reject(error: Error): void }[] = [];
  const read = jest.fn(
    () =>
      new Promise<number>((resolve, reject) => {
        pending.push({ resolve, reject });
      }),
  );
  const settle = async (outcome: number | Error) => {
    const next = pending.shift();
    if (!next) {
      throw new Error('no read is pending');
    }
    if (outcome instanceof Error) {
      next.reject(outcome);
    } else {
      next.resolve(outcome);
    }
    // Let the promise chains of the waiting callers (and the queued read's start) run.
    await new Promise((done) => setImmediate(done));
  };
  return { read, settle, pending };
}

describe('FreshRead', () => {
  it('never answers a caller with a read that started before it called', async () => {
    const { read, settle } = controlledReads();
    const fresh = new FreshRead(read);

    const first = fresh.get();
    const second = fresh.get(); // arrives while the first read is in flight
    await settle(1);
    await expect(first).resolves.toBe(1);
    expect(read).toHaveBeenCalledTimes(2);
    await settle(2);
    await expect(second).resolves.toBe(2);
  });

  it('shares one queued read among every caller that arrived during the read in flight', async () => {
    const { read, settle } = controlledReads();
    const fresh = new FreshRead(read);

    const first = fresh.get();
    const waiting = [fresh.get(), fresh.get(), fresh.get()];
    await settle(1);
    await settle(2);

    await expect(first).resolves.toBe(1);
    await expect(Promise.all(waiting)).resolves.toEqual([2, 2, 2]);
    expect(read).toHaveBeenCalledTimes(2);
  });

  it('starts a new read for a caller that comes after everything settled', async () => {
    const { read, settle } = controlledReads();
    const fresh = new FreshRead(read);

    const first = fresh.get();
    await settle(1);
    await expect(first).resolves.toBe(1);
    const later = fresh.get();
    await settle(2);

    await expect(later).resolves.toBe(2);
    expect(read).toHaveBeenCalledTimes(2);
  });

  it('rejects the callers of a failed read, still reads afresh for those queued, and recovers', async () => {
    const { read, settle } = controlledReads();
    const fresh = new FreshRead(read);

    const failing = fresh.get();
    const queued = fresh.get();
    const failed = expect(failing).rejects.toThrow('database down');
    await settle(new Error('database down'));
    await failed;
    await settle(7);
    await expect(queued).resolves.toBe(7);

    const after = fresh.get();
    await settle(8);
    await expect(after).resolves.toBe(8);
  });
});
