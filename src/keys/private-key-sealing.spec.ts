import { generateKeyPairSync } from 'node:crypto';
import { UnsealableSecretError } from '../common/secret-sealing';
import { PrivateKeySealing } from './private-key-sealing';

const OLD_SECRET = 'the key-encryption secret of last year, long enough';
const NEW_SECRET = 'the key-encryption secret of this year, long enough';
const PEM = generateKeyPairSync('ec', { namedCurve: 'P-256' })
  .privateKey.export({ type: 'pkcs8', format: 'pem' })
  .toString();

describe('PrivateKeySealing', () => {
  it('stores the PEM as it is without a secret', () => {
    const sealing = new PrivateKeySealing([]);
    expect(sealing.seal('k1', PEM)).toBe(PEM);
    expect(sealing.open('k1', PEM)).toBe(PEM);
    expect(sealing.isCurrent(PEM)).toBe(true);
  });

  it('stores nothing of the key in clear, and opens it again', () => {
    const sealing = new PrivateKeySealing([NEW_SECRET]);
    const stored = sealing.seal('k1', PEM);
    const body = PEM.split('\n')[1];
    expect(stored).not.toContain('PRIVATE KEY');
    expect(stored).not.toContain(body);
    expect(stored).not.toContain(NEW_SECRET);
    expect(sealing.open('k1', stored)).toBe(PEM);
    // A fresh nonce each time: equal keys do not show as equal values.
    expect(sealing.seal('k1', PEM)).not.toBe(stored);
  });

  it('does not open a sealed key copied onto another kid', () => {
    const sealing = new PrivateKeySealing([NEW_SECRET]);
    expect(() => sealing.open('k2', sealing.seal('k1', PEM))).toThrow(UnsealableSecretError);
  });

  it('does not open a sealed key with a flipped byte', () => {
    const sealing = new PrivateKeySealing([NEW_SECRET]);
    const stored = sealing.seal('k1', PEM);
    const at = stored.length - 30;
    const flipped = `${stored.slice(0, at)}${stored[at] === 'A' ? 'B' : 'A'}${stored.slice(at + 1)}`;
    expect(() => sealing.open('k1', flipped)).toThrow(UnsealableSecretError);
    expect(() => sealing.open('k1', stored.slice(0, 40))).toThrow(UnsealableSecretError);
  });

  it('seals with the first secret, opens with any, and tells which values to seal again', () => {
    const before = new PrivateKeySealing([OLD_SECRET]);
    const during = new PrivateKeySealing([NEW_SECRET, OLD_SECRET]);
    const stored = before.seal('k1', PEM);
    expect(during.open('k1', stored)).toBe(PEM);
    expect(during.isCurrent(stored)).toBe(false);
    expect(during.isCurrent(during.seal('k1', PEM))).toBe(true);
    expect(during.isCurrent(PEM)).toBe(false);
    expect(new PrivateKeySealing([]).isCurrent(stored)).toBe(false);
  });

  it('names the kid, never a secret, when it has no secret that opens a key', () => {
    const stored = new PrivateKeySealing([OLD_SECRET]).seal('k1', PEM);
    for (const sealing of [new PrivateKeySealing([NEW_SECRET]), new PrivateKeySealing([])]) {
      expect(() => sealing.open('k1', stored)).toThrow(
        /k1 is encrypted with a KEY_ENCRYPTION_KEY this instance does not have/,
      );
    }
  });
});
