import { hashRecoveryCode, normalizeRecoveryCode } from './recovery-codes';

describe('recovery codes', () => {
  it('reads a code as typed: any case, with or without hyphens and spaces', () => {
    const code = 'abcd2345efgh6723';
    for (const typed of ['abcd-2345-efgh-6723', 'ABCD 2345 EFGH 6723', code]) {
      expect(normalizeRecoveryCode(typed)).toBe(code);
    }
  });

  it.each(['abcd-2345-efgh-672', 'abcd-2345-efgh-67231', 'abcd-2345-efgh-6780', '123456', ''])(
    'refuses %j, which no code can be',
    (typed) => {
      expect(normalizeRecoveryCode(typed)).toBeUndefined();
    },
  );

  it('hashes a code for one user only: the same code is another hash for another user', () => {
    const code = 'abcd2345efgh6723';
    expect(hashRecoveryCode('user-1', code)).toMatch(/^[0-9a-f]{64}$/);
    expect(hashRecoveryCode('user-1', code)).not.toBe(hashRecoveryCode('user-2', code));
  });
});
