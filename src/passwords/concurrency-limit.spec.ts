import { ConcurrencyLimit } from './concurrency-limit';

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve = () => {};
  const promise = new Promise<void>((done) => (resolve = done));
  return { promise, resolve };
}

describe('ConcurrencyLimit', () => {
  it('starts queued tasks in arrival order as slots free up', async () => {
    const limit = new ConcurrencyLimit(1);
    const started: number[] = [];
    const gates = [deferred(), deferred(), deferred()];
    const runs = gates.map((gate, index) =>
      limit.run(async () => {
        started.push(index);
        await gate.promise;
        return index;
      }),
    );
    await Promise.resolve();

    expect(started).toEqual([0]);
    expect(limit.queued).toBe(2);
    gates[0].resolve();
    gates[1].resolve();
    gates[2].resolve();
    await expect(Promise.all(runs)).resolves.toEqual([0, 1, 2]);
    expect(started).toEqual([0, 1, 2]);
    expect(limit.queued).toBe(0);
    expect(limit.running).toBe(0);
  });

  it('passes a task failure to its caller and releases the slot', async () => {
    const limit = new ConcurrencyLimit(1);

    await expect(limit.run(() => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    await expect(limit.run(() => Promise.resolve('next'))).resolves.toBe('next');
    expect(limit.running).toBe(0);
  });

  it('starts waiting logins before waiting background work, whatever their arrival', async () => {
    const limit = new ConcurrencyLimit(1);
    const started: string[] = [];
    const busy = deferred();
    const task = (name: string) => async () => {
      started.push(name);
      await (name === 'first' ? busy.promise : Promise.resolve());
    };
    const runs = [
      limit.run(task('first')),
      limit.run(task('registration 1'), 'background'),
      limit.run(task('registration 2'), 'background'),
      limit.run(task('login')),
    ];
    await Promise.resolve();
    busy.resolve();
    await Promise.all(runs);

    expect(started).toEqual(['first', 'login', 'registration 1', 'registration 2']);
  });

  it('still gives background work one slot in four while logins keep coming', async () => {
    const limit = new ConcurrencyLimit(1);
    const started: string[] = [];
    const busy = deferred();
    const task = (name: string) => async () => {
      started.push(name);
      await (name === 'first' ? busy.promise : Promise.resolve());
    };
    const runs = [limit.run(task('first')), limit.run(task('hash'), 'background')];
    for (let i = 1; i <= 5; i++) {
      runs.push(limit.run(task(`login ${i}`)));
    }
    await Promise.resolve();
    busy.resolve();
    await Promise.all(runs);

    expect(started).toEqual([
      'first',
      'login 1',
      'login 2',
      'login 3',
      'hash',
      'login 4',
      'login 5',
    ]);
  });

  it.each([0, -1, 1.5])('refuses the limit %p', (max) => {
    expect(() => new ConcurrencyLimit(max)).toThrow(RangeError);
  });
});
