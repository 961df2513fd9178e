import { UnauthorizedException } from '@nestjs/common';

/** A bearer token was sent and refused: the 401 then carries RFC 6750's `error="invalid_token"`. */
export class InvalidAccessTokenException extends UnauthorizedException {
  constructor() {
    super('The access token is invalid, expired or revoked');
  }
}
