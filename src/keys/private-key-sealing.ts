import { SecretSealing } from '../common/secret-sealing';

/**
 * Private signing keys at rest, bound to their kid. The purpose string is part of the stored
 * format: changing it would leave every sealed key unopenable.
 */
export class PrivateKeySealing extends SecretSealing {
  constructor(secrets: readonly string[]) {
    super(secrets, { purpose: 'private signing key', describe: (kid) => `private key of ${kid}` });
  }
}
