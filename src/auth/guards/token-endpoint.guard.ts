import { ExecutionContext, Injectable } from '@nestjs/common';
import { AuthGuard } from '@nestjs/passport';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ClientsService } from '../../clients/clients.service';
import { Client } from '../../clients/entities/client.entity';
import { User } from '../../users/entities/user.entity';
import { OAuthException } from '../../common/oauth.exception';
import { createValidationPipe } from '../../common/validation.pipe';
import { LoginThrottle } from '../../throttling/login-throttle.service';
import { TokenBudgetGuard } from '../../throttling/token-budget.guard';
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

  constructor(
    private readonly clients: ClientsService,
    private readonly tokenBudget: TokenBudgetGuard,
    private readonly loginThrottle: LoginThrottle,
  ) {
    super();
  }

  override async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<TokenEndpointRequest>();
    // The per-IP budget comes first, before the request costs a query or a hash.
    await this.tokenBudget.canActivate(context);
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
    if (!body.username || !body.password) {
      // passport-local falls back to the query string, where the throttle would not see them
      // (and RFC 6749 section 2.3.1 keeps credentials out of URIs anyway).
      throw new OAuthException('invalid_request', 'username and password are required');
    }
    // Before passport-local verifies the password: a throttled attempt costs no argon2 work and
    // tells nothing about the password.
    const attempt = await this.loginThrottle.begin(
      body.username,
      request,
      context.switchToHttp().getResponse<FastifyReply>(),
    );
    const authenticated = (await super.canActivate(context)) as boolean;
    await this.loginThrottle.succeeded(attempt);
    return authenticated;
  }

  override handleRequest<TUser>(error: Error | null, user: TUser | false): TUser {
    // The strategy's own refusals, and a database that failed during the check (503, logged):
    // only passport-local's "missing credentials" is the client's fault.
    if (error) {
      throw error;
    }
    if (!user) {
      throw new OAuthException('invalid_request', 'username and password are required');
    }
    return user;
  }
}
