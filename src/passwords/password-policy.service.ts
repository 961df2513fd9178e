import { Inject, Injectable } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { passwordConfig } from '../config/password.config';
import { RequestValidationException } from '../common/request-validation.exception';
import { COMMON_PASSWORDS } from './common-passwords';

/** NIST SP 800-63B: passwords are compared after NFKC normalisation, never trimmed or truncated. */
export function normalizePassword(password: string): string {
  return password.normalize('NFKC');
}

function codePointLength(text: string): number {
  let length = 0;
  for (const _ of text) {
    length += 1;
  }
  return length;
}

@Injectable()
export class PasswordPolicy {
  constructor(
    @Inject(passwordConfig.KEY) private readonly config: ConfigType<typeof passwordConfig>,
  ) {}

  /** Why a new password is refused, or an empty list; no composition rules (NIST SP 800-63B). */
  problems(password: string, username?: string): string[] {
    const normalized = normalizePassword(password);
    const length = codePointLength(normalized);
    const problems: string[] = [];
    if (length < this.config.minLength) {
      problems.push(`must be at least ${this.config.minLength} characters long`);
    }
    if (length > this.config.maxLength) {
      problems.push(`must be at most ${this.config.maxLength} characters long`);
    }
    const lowered = normalized.toLowerCase();
    if (COMMON_PASSWORDS.has(lowered)) {
      problems.push('is too common: it appears in lists of breached passwords');
    }
    if (username !== undefined && lowered === normalizePassword(username).toLowerCase()) {
      problems.push('must not be the username');
    }
    return problems;
  }

  assertAcceptable(password: string, username: string | undefined, field: string): void {
    const problems = this.problems(password, username);
    if (problems.length > 0) {
      throw new RequestValidationException(problems.map((message) => ({ field, message })));
    }
  }
}
