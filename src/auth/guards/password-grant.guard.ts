import { ExecutionContext, HttpException, HttpStatus, Injectable } from '@nestjs/common';
import { AuthGuard } from '@nestjs/passport';
import type { FastifyRequest } from 'fastify';
import { createValidationPipe } from '../../common/validation.pipe';
import { OAuthException } from '../../common/oauth.exception';
import { TokenRequestDto } from '../dto/token-request.dto';

function formDecode(value: string): string {
  try {
    return decodeURIComponent(value.replace(/\+/g, ' '));
  } catch {
    return value;
  }
}

/** Basic credentials with an empty client id (Swagger UI sends `Basic Og==`) mean "no client". */
function presentedClientId(request: FastifyRequest, body: TokenRequestDto): string | undefined {
  const match = /^Basic\s+(\S+)$/i.exec(request.headers.authorization ?? '');
  const basicId = match
    ? formDecode(Buffer.from(match[1], 'base64').toString('utf8').split(':')[0] ?? '')
    : '';
  return basicId || body.client_id || undefined;
}

/**
 * Runs passport-local for `grant_type=password` (the default when absent). Guards run before
 * pipes, so the body is validated here first: Passport must never see an array or object where
 * a username or password belongs.
 */
@Injectable()
export class PasswordGrantGuard extends AuthGuard('local') {
  private readonly validation = createValidationPipe();

  override async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    const body = (await this.validation.transform(request.body ?? {}, {
      type: 'body',
      metatype: TokenRequestDto,
    })) as TokenRequestDto;
    request.body = body;
    if ((body.grant_type ?? 'password') !== 'password') {
      return true;
    }
    // No client is registered until client support lands, so any named client is unknown.
    if (presentedClientId(request, body) !== undefined) {
      throw new OAuthException(
        'invalid_client',
        'Client authentication failed',
        HttpStatus.UNAUTHORIZED,
      );
    }
    return (await super.canActivate(context)) as boolean;
  }

  override handleRequest<TUser>(error: unknown, user: TUser | false): TUser {
    if (error instanceof HttpException) {
      throw error;
    }
    if (error || !user) {
      throw new OAuthException('invalid_request', 'username and password are required');
    }
    return user;
  }
}
