import { JWTPayload, jwtVerify, SignJWT } from 'jose';
import type { KeyObject } from 'node:crypto';

// jsonwebtoken (under @nestjs/jwt, passport-jwt) lacks EdDSA: jose, same header and claim rules.
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
