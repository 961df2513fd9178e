import { hostname, userInfo } from 'node:os';
import { Initiator } from '../events/security-event';

export const CLI_USER_AGENT = 'portcullis-cli';

function operatingSystemUser(): string {
  try {
    return userInfo().username;
  } catch {
    // A container user with no passwd entry.
    return String(process.getuid?.() ?? 'unknown');
  }
}

/**
 * The audit record of a CLI command: no address, and in place of a user agent the CLI and the
 * operating-system account that ran it. Who that was is the host's to say, not a token's.
 */
export function cliInitiator(): Initiator {
  return {
    context: { ip: null, userAgent: `${CLI_USER_AGENT} (${operatingSystemUser()}@${hostname()})` },
  };
}
