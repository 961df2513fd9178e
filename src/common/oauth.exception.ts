import { HttpException, HttpStatus } from '@nestjs/common';

/** RFC 6749 section 5.2 error codes, plus RFC 6750's for protected resources. */
export type OAuthErrorCode =
  | 'invalid_request'
  | 'invalid_client'
  | 'invalid_grant'
  | 'unauthorized_client'
  | 'unsupported_grant_type'
  | 'invalid_scope'
  | 'access_denied'
  | 'server_error'
  | 'temporarily_unavailable'
  // RFC 8628 section 3.5, registered for the token endpoint: retry later, less often (429).
  | 'slow_down'
  // The password was right; the second factor goes with the mfa_token (docs/api.md).
  | 'mfa_required';

export class OAuthException extends HttpException {
  readonly retryAfterSeconds?: number;
  /** Members of the error body beside `error` and `error_description` (RFC 6749 section 5.2). */
  readonly parameters?: Readonly<Record<string, string>>;

  constructor(
    readonly error: OAuthErrorCode,
    readonly description: string,
    status: HttpStatus = HttpStatus.BAD_REQUEST,
    options: { retryAfterSeconds?: number; parameters?: Record<string, string> } = {},
  ) {
    super(description, status);
    this.retryAfterSeconds = options.retryAfterSeconds;
    this.parameters = options.parameters;
  }
}
