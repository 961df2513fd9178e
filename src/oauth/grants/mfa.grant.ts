import { Injectable } from '@nestjs/common';
import { OAuthException } from '../../common/oauth.exception';
import { SecurityEvents } from '../../events/security-events.service';
import { MfaChallenges } from '../../mfa/mfa-challenges.service';
import { PresentedCode } from '../../mfa/mfa-codes.service';
import { AccessTokensService } from '../../tokens/access-tokens.service';
import { requireGrant } from '../client-authentication';
import { TokenRequestDto } from '../dto/token-request.dto';
import { TokenResponseDto } from '../dto/token-response.dto';
import { GrantRequest, publishIssued, TokenGrant, tokenResponse } from './token-grant';

const incorrectCode = () => new OAuthException('invalid_grant', 'The code is incorrect');

/** Exactly one of `otp` and `recovery_code`; Swagger UI sends the empty one as `name=`. */
function presentedCode({ otp, recovery_code: recovery }: TokenRequestDto): PresentedCode {
  if (Boolean(otp) === Boolean(recovery)) {
    throw new OAuthException('invalid_request', 'Send either otp or recovery_code');
  }
  return otp ? { kind: 'otp', value: otp } : { kind: 'recovery', value: recovery ?? '' };
}

/**
 * The second step of a password login: the mfa_token of the first step's 403 `mfa_required`, with
 * a TOTP code or a recovery code, gives the login its session. A continuation of the password
 * grant, so a client needs that grant, and it must be the client that got the token.
 */
@Injectable()
export class MfaGrant implements TokenGrant {
  constructor(
    private readonly challenges: MfaChallenges,
    private readonly accessTokens: AccessTokensService,
    private readonly events: SecurityEvents,
  ) {}

  async issue({ body, client, context }: GrantRequest): Promise<TokenResponseDto> {
    if (client) {
      requireGrant(client, 'password');
    }
    if (!body.mfa_token) {
      throw new OAuthException('invalid_request', 'mfa_token is required');
    }
    const code = presentedCode(body);
    const clientId = client?.clientId ?? null;
    const login = await this.challenges.complete(
      body.mfa_token,
      clientId,
      code,
      context,
      incorrectCode,
    );
    const issued = await this.accessTokens.issueForUser(login.user, login.session.scope, {
      sessionId: login.session.id,
      clientId,
      amr: login.amr,
      planned: login.access,
    });
    await publishIssued(this.events, 'mfa', { userId: login.user.id, clientId, context });
    return tokenResponse(issued, login.refreshToken);
  }
}
