import {
  createHash,
  createSecretKey,
  generateKeyPair as generateKeyPairCallback,
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

export type NewSigningKey = Pick<SigningKey, 'kid' | 'alg' | 'publicKeyPem' | 'privateKeyPem'>;

// In libuv's pool: an RSA 2048 key took 60-770 ms to find here, too long to hold the event loop.
function generateKeyPair(
  alg: AsymmetricAlgorithm,
): Promise<{ publicKey: KeyObject; privateKey: KeyObject }> {
  return new Promise((resolve, reject) => {
    const done = (error: Error | null, publicKey: KeyObject, privateKey: KeyObject) =>
      error ? reject(error) : resolve({ publicKey, privateKey });
    switch (alg) {
      case 'ES256':
        return generateKeyPairCallback('ec', { namedCurve: 'P-256' }, done);
      case 'EdDSA':
        return generateKeyPairCallback('ed25519', undefined, done);
      case 'RS256':
        return generateKeyPairCallback('rsa', { modulusLength: 2048 }, done);
    }
  });
}

export async function newSigningKey(alg: AsymmetricAlgorithm): Promise<NewSigningKey> {
  const { publicKey, privateKey } = await generateKeyPair(alg);
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

/** Of keys sorted newest generation first: the newest that has started signing, else the oldest. */
export function signerAt<T extends { signsFrom: number }>(keys: T[], now: number): T | undefined {
  // The first key signs at once, even on an instance whose clock runs behind its creator's.
  return keys.find((key) => key.signsFrom <= now) ?? keys.at(-1);
}
