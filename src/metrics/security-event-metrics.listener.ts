import { Injectable } from '@nestjs/common';
import { OnEvent } from '@nestjs/event-emitter';
import { SECURITY_EVENT, SecurityEvent } from '../events/security-event';
import { GRANTS, LOGIN_OUTCOMES, Metrics } from './metrics.service';

function known<T extends string>(values: readonly T[], value: unknown): T | 'other' {
  return values.includes(value as T) ? (value as T) : 'other';
}

@Injectable()
export class SecurityEventMetrics {
  constructor(private readonly metrics: Metrics) {}

  @OnEvent(SECURITY_EVENT)
  record(event: SecurityEvent): void {
    switch (event.type) {
      case 'login_succeeded':
        this.metrics.logins.inc({ outcome: 'success' });
        break;
      case 'login_failed':
        this.metrics.logins.inc({ outcome: known(LOGIN_OUTCOMES, event.detail?.reason) });
        break;
      case 'token_issued':
        this.metrics.tokensIssued.inc({ grant: known(GRANTS, event.detail?.grant) });
        break;
      case 'refresh_reuse_detected':
        this.metrics.refreshReuse.inc();
        break;
      default:
        break;
    }
  }
}
