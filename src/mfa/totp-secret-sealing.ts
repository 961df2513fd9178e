import { SecretSealing } from '../common/secret-sealing';

/** TOTP secrets at rest, bound to their user: a sealed secret moved to another row does not open. */
export class TotpSecretSealing extends SecretSealing {
  constructor(secrets: readonly string[]) {
    super(secrets, {
      purpose: 'totp secret',
      describe: (userId) => `TOTP secret of user ${userId}`,
    });
  }
}
