import { JWTPayload, jwtVerify, SignJWT } from 'jose';
import type { KeyObject } from 'node:crypto';

/**
 * EdDSA, which jsonwebtoken (under @nestjs/jwt and passport-jwt) does not implement, is signed
 * and verified with jose, under the same header and claim rules as the other algorithms.
 */
export function signEdDsa(
  payload: JWTPayload,
  header: { kid: string; typ: string },
  privateKey: KeyObject,
): Promise<string> {
  return new SignJWT(payload).setProtectedHeader({ ...header, alg: 'EdDSA' }).sign(privateKey);
}

export async function verifyEdDsa(
  rawToken: string,
  publicKey: KeyObject,
  {
    issuer,
    audience,
    clockTolerance,
  }: { issuer: string; audience: string; clockTolerance: number },
): Promise<JWTPayload> {
  const { payload } = await jwtVerify(rawToken, publicKey, {
    algorithms: ['EdDSA'],
    issuer,
    audience,
    clockTolerance,
  });
  return payload;
}
