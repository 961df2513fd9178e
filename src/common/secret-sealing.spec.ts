import { SecretSealing, UnsealableSecretError } from './secret-sealing';

const SECRET = 'the key-encryption secret of this year, long enough';
const named = (id: string) => `value of ${id}`;

describe('SecretSealing', () => {
  it('keeps each purpose apart: a value sealed for one does not open for another', () => {
    const totp = new SecretSealing([SECRET], { purpose: 'totp secret', describe: named });
    const other = new SecretSealing([SECRET], { purpose: 'other secret', describe: named });
    const stored = totp.seal('user-1', 'JBSWY3DPEHPK3PXP');

    expect(totp.open('user-1', stored)).toBe('JBSWY3DPEHPK3PXP');
    expect(() => other.open('user-1', stored)).toThrow(UnsealableSecretError);
    expect(other.isCurrent(stored)).toBe(false);
  });

  it('names the value by its id in errors, never by what it holds', () => {
    const sealing = new SecretSealing([SECRET], { purpose: 'totp secret', describe: named });
    const stored = sealing.seal('user-1', 'JBSWY3DPEHPK3PXP');

    expect(() => sealing.open('user-2', stored)).toThrow('The stored value of user-2 is damaged');
    expect(() => sealing.open('user-2', stored)).not.toThrow(/JBSWY3DPEHPK3PXP/);
  });

  it('tells the prefix of values sealed now, and none without a secret', () => {
    const sealing = new SecretSealing([SECRET], { purpose: 'totp secret', describe: named });
    const prefix = sealing.currentPrefix();

    expect(prefix).toMatch(/^sealed:v1:[\w-]{12}:$/);
    expect(sealing.seal('user-1', 'x').startsWith(prefix ?? '?')).toBe(true);
    expect(
      new SecretSealing([], { purpose: 'totp secret', describe: named }).currentPrefix(),
    ).toBeUndefined();
  });
});
