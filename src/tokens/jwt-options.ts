import { JwtModuleOptions, JwtSecretRequestType, JwtSignOptions } from '@nestjs/jwt';
import { SigningKeysService } from '../keys/signing-keys.service';

// KeyObjects picked by kid: a string secret would be parsed anew for every token (0.5 ms, HS256).
export function jwtOptions(keys: SigningKeysService): JwtModuleOptions {
  return {
    secretOrKeyProvider: (type, tokenOrPayload, options) =>
      type === JwtSecretRequestType.SIGN
        ? keys.signingKey(String((options as JwtSignOptions | undefined)?.keyid))
        : keys.verificationKeyFor(typeof tokenOrPayload === 'string' ? tokenOrPayload : ''),
  };
}
