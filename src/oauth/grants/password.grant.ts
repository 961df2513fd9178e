import { HttpStatus, Inject, Injectable } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { ADMIN_ROLE } from '../../auth/roles';
import { Client } from '../../clients/entities/client.entity';
import { OAuthException } from '../../common/oauth.exception';
import { RequestContext } from '../../common/request-context';
import { mailConfig } from '../../config/mail.config';
import { SecurityEvents } from '../../events/security-events.service';
import { MfaChallenges } from '../../mfa/mfa-challenges.service';
import { SessionsService } from '../../sessions/sessions.service';
import { LoginThrottle } from '../../throttling/login-throttle.service';
import { AccessTokensService } from '../../tokens/access-tokens.service';
import { incorrectCredentials } from '../../users/credentials.service';
import { User } from '../../users/entities/user.entity';
import { requireGrant } from '../client-authentication';
import { MFA_GRANT_TYPE } from '../dto/token-request.dto';
import { TokenResponseDto } from '../dto/token-response.dto';
import { authenticateLocally, missingCredentials } from '../local.strategy';
import { grantedScope, USER_SCOPES } from '../scopes';
import { GrantRequest, publishIssued, TokenGrant, tokenResponse } from './token-grant';

const PASSWORD_ONLY = ['pwd'];

/** RFC 6749 section 4.3, for the service's own first-party users: one login, one session. */
@Injectable()
export class PasswordGrant implements TokenGrant {
  constructor(
    private readonly loginThrottle: LoginThrottle,
    private readonly challenges: MfaChallenges,
    private readonly sessions: SessionsService,
    private readonly accessTokens: AccessTokensService,
    private readonly events: SecurityEvents,
    @Inject(mailConfig.KEY) private readonly mail: ConfigType<typeof mailConfig>,
  ) {}

  async issue({ body, client, request, context }: GrantRequest): Promise<TokenResponseDto> {
    // Before the password is looked at: a restricted client is no password oracle.
    if (client) {
      requireGrant(client, 'password');
    }
    const { username, password } = body;
    if (!username || !password) {
      throw missingCredentials();
    }
    // A throttled attempt costs no argon2 work and tells nothing about the password.
    const user = await this.loginThrottle.attempt(username, context, () =>
      authenticateLocally(request),
    );
    await this.requireVerifiedEmail(user, client, context);
    const scope = grantedScope(body.scope, USER_SCOPES);
    if (user.mfaEnabled) {
      throw await this.secondFactorRequired(user, client, scope);
    }
    return this.startSession(user, client, scope, context);
  }

  // The password counters were cleared by its success; the code has counters of its own.
  private async secondFactorRequired(
    user: User,
    client: Client | undefined,
    scope: string,
  ): Promise<OAuthException> {
    const mfaToken = await this.challenges.issue(user, client?.clientId ?? null, scope);
    return new OAuthException(
      'mfa_required',
      `A second factor is required: send mfa_token with otp or recovery_code, grant_type=${MFA_GRANT_TYPE}`,
      HttpStatus.FORBIDDEN,
      { parameters: { mfa_token: mfaToken } },
    );
  }

  // Only after the password was checked: the 403 says the password was right. Administrators
  // are exempt, so that REQUIRE_VERIFIED_EMAIL cannot lock the operator out (docs/security.md).
  private async requireVerifiedEmail(
    user: User,
    client: Client | undefined,
    context: RequestContext,
  ): Promise<void> {
    if (!this.mail.requireVerifiedEmail || user.emailVerified || user.roles.includes(ADMIN_ROLE)) {
      return;
    }
    await this.events.publish({
      type: 'login_failed',
      userId: user.id,
      clientId: client?.clientId ?? null,
      context,
      detail: { outcome: 'failure', reason: 'unverified_email', username: user.normalizedUsername },
    });
    throw new OAuthException(
      'access_denied',
      'Verify your email address first: follow the link in the verification mail',
      HttpStatus.FORBIDDEN,
    );
  }

  private async startSession(
    user: User,
    client: Client | undefined,
    scope: string,
    context: RequestContext,
  ): Promise<TokenResponseDto> {
    const clientId = client?.clientId ?? null;
    const amr = PASSWORD_ONLY;
    const started = await this.sessions.start(
      { user, clientId, scope, amr, context },
      (session) => ({
        type: 'login_succeeded',
        userId: user.id,
        clientId,
        context,
        detail: { outcome: 'success', sessionId: session.id },
      }),
    );
    if (!started) {
      // Deleted while its password was being checked: answered as if it had never existed.
      throw incorrectCredentials();
    }
    const issued = await this.accessTokens.issueForUser(user, scope, {
      sessionId: started.session.id,
      clientId,
      amr,
      planned: started.access,
    });
    await publishIssued(this.events, 'password', { userId: user.id, clientId, context });
    return tokenResponse(issued, started.refreshToken);
  }
}
