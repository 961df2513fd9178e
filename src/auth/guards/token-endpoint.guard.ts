import { ExecutionContext, HttpException, Injectable } from '@nestjs/common';
import { AuthGuard } from '@nestjs/passport';
import type { FastifyRequest } from 'fastify';
import { ClientsService } from '../../clients/clients.service';
import { Client } from '../../clients/entities/client.entity';
import { User } from '../../users/entities/user.entity';
import { OAuthException } from '../../common/oauth.exception';
import { createValidationPipe } from '../../common/validation.pipe';
import { TokenRequestDto } from '../dto/token-request.dto';
import { assertGrantAllowed } from '../token-grants.service';

/** What the guard leaves for the handler: the authenticated client, and for the password grant the user. */
export type TokenEndpointRequest = FastifyRequest & { oauthClient?: Client; user?: User };

/**
 * POST /auth/token before the handler. Guards run before pipes, so the body is validated here
 * first (Passport must never see an array where a username belongs); then the client, if one is
 * named, is authenticated; then, for `grant_type=password` (the default), passport-local checks
 * the user's password, after the client was allowed the grant so a restricted client cannot
 * use the endpoint as a password oracle.
 */
@Injectable()
export class TokenEndpointGuard extends AuthGuard('local') {
  private readonly validation = createValidationPipe();

  constructor(private readonly clients: ClientsService) {
    super();
  }

  override async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<TokenEndpointRequest>();
    const body = (await this.validation.transform(request.body ?? {}, {
      type: 'body',
      metatype: TokenRequestDto,
    })) as TokenRequestDto;
    request.body = body;
    request.oauthClient = await this.clients.authenticatePresented(request, body);
    if ((body.grant_type ?? 'password') !== 'password') {
      return true;
    }
    if (request.oauthClient) {
      assertGrantAllowed(request.oauthClient, 'password');
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
