import { BoundedMemo } from './bounded-memo';

describe('BoundedMemo', () => {
  it('loads a key once, concurrent callers included', async () => {
    const load = jest.fn((key: string) => Promise.resolve(`value of ${key}`));
    const memo = new BoundedMemo(10, load);

    await expect(Promise.all([memo.get('a'), memo.get('a')])).resolves.toEqual([
      'value of a',
      'value of a',
    ]);
    await expect(memo.get('a')).resolves.toBe('value of a');
    expect(load).toHaveBeenCalledTimes(1);
  });

  it('does not keep a value that keep() refuses, so the next caller loads again', async () => {
    const values = [null, 'found'];
    const load = jest.fn(() => Promise.resolve(values.shift() ?? null));
    const memo = new BoundedMemo<string | null>(10, load, (value) => value !== null);

    await expect(memo.get('k')).resolves.toBeNull();
    await expect(memo.get('k')).resolves.toBe('found');
    await expect(memo.get('k')).resolves.toBe('found');
    expect(load).toHaveBeenCalledTimes(2);
  });

  it('does not keep a failed load', async () => {
    const load = jest
      .fn<Promise<string>, [string]>()
      .mockRejectedValueOnce(new Error('database down'))
      .mockResolvedValue('back');
    const memo = new BoundedMemo(10, load);

    await expect(memo.get('k')).rejects.toThrow('database down');
    await expect(memo.get('k')).resolves.toBe('back');
  });

  it('evicts the oldest entry when full, so memory stays bounded', async () => {
    const load = jest.fn((key: string) => Promise.resolve(key));
    const memo = new BoundedMemo(2, load);

    await memo.get('a');
    await memo.get('b');
    await memo.get('c');
    expect(memo.size).toBe(2);
    await memo.get('b');
    await memo.get('c');
    expect(load).toHaveBeenCalledTimes(3);
    await memo.get('a');
    expect(load).toHaveBeenCalledTimes(4);
  });
});
