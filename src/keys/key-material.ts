import {
  createHash,
  createSecretKey,
  generateKeyPairSync,
  KeyObject,
  randomBytes,
} from 'node:crypto';
import { JwtAlgorithm } from '../config/environment';
import { SigningKey } from './entities/signing-key.entity';

export type AsymmetricAlgorithm = Exclude<JwtAlgorithm, 'HS256'>;

export interface ActiveSigningKey {
  kid: string;
  alg: JwtAlgorithm;
  privateKey: KeyObject;
}

function generateKeyPair(alg: AsymmetricAlgorithm): {
  publicKey: KeyObject;
  privateKey: KeyObject;
} {
  switch (alg) {
    case 'ES256':
      return generateKeyPairSync('ec', { namedCurve: 'P-256' });
    case 'EdDSA':
      return generateKeyPairSync('ed25519');
    case 'RS256':
      return generateKeyPairSync('rsa', { modulusLength: 2048 });
  }
}

export function newSigningKey(
  alg: AsymmetricAlgorithm,
): Pick<SigningKey, 'kid' | 'alg' | 'publicKeyPem' | 'privateKeyPem'> {
  const { publicKey, privateKey } = generateKeyPair(alg);
  return {
    kid: randomBytes(12).toString('base64url'),
    alg,
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
  };
}

/** HS256: the key is JWT_SECRET; a kid derived from it makes a changed secret an unknown key. */
export function sharedSecretKey(secret: string): ActiveSigningKey {
  const privateKey = createSecretKey(Buffer.from(secret, 'utf8'));
  const digest = createHash('sha256').update(privateKey.export()).digest('base64url');
  return { kid: `hs-${digest.slice(0, 16)}`, alg: 'HS256', privateKey };
}

/** Of keys sorted newest generation first: the newest that has activated, else the oldest. */
export function signerAt<T extends { activatesAt: number }>(keys: T[], now: number): T | undefined {
  // The first key signs at once, even on an instance whose clock runs behind its creator's.
  return keys.find((key) => key.activatesAt <= now) ?? keys.at(-1);
}
