import { JwtModuleOptions, JwtSecretRequestType, JwtSignOptions } from '@nestjs/jwt';
import { SigningKeysService } from '../keys/signing-keys.service';

/**
 * JwtService's keys are parsed KeyObjects, picked by kid: signing with the kid the token will
 * name, verifying with the one it does name. A string secret would be parsed anew for every
 * token (about 0.5 ms for HS256).
 */
export function jwtOptions(keys: SigningKeysService): JwtModuleOptions {
  return {
    secretOrKeyProvider: (type, tokenOrPayload, options) =>
      type === JwtSecretRequestType.SIGN
        ? keys.signingKey(String((options as JwtSignOptions | undefined)?.keyid))
        : keys.verificationKeyFor(typeof tokenOrPayload === 'string' ? tokenOrPayload : ''),
  };
}
