import { isIP } from 'node:net';
import { ValidateBy, ValidationOptions } from 'class-validator';

export type TrustProxy = boolean | number | string[];

// proxy-addr's (and so Fastify's) names for well-known ranges.
const NAMED_RANGES = ['loopback', 'linklocal', 'uniquelocal'];

function isAddressOrRange(entry: string): boolean {
  if (NAMED_RANGES.includes(entry)) {
    return true;
  }
  const [address, prefix, ...rest] = entry.split('/');
  const version = isIP(address);
  if (version === 0 || rest.length > 0) {
    return false;
  }
  return (
    prefix === undefined ||
    (/^\d{1,3}$/.test(prefix) && Number(prefix) <= (version === 4 ? 32 : 128))
  );
}

export function isTrustProxy(value: unknown): boolean {
  if (typeof value !== 'string') {
    return false;
  }
  const trimmed = value.trim();
  return (
    ['true', 'false'].includes(trimmed) ||
    /^\d{1,2}$/.test(trimmed) ||
    trimmed.split(',').every((entry) => isAddressOrRange(entry.trim()))
  );
}

export function IsTrustProxy(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isTrustProxy',
      validator: {
        validate: isTrustProxy,
        defaultMessage: () =>
          'must be true, a hop count, or a comma-separated list of addresses or CIDR ranges',
      },
    },
    options,
  );
}

/** Unset means never: the client address is the TCP peer, whatever the headers say. */
export function parseTrustProxy(raw: string | undefined): TrustProxy {
  const value = raw?.trim();
  if (value === undefined || value === 'false') {
    return false;
  }
  if (value === 'true') {
    return true;
  }
  if (/^\d+$/.test(value)) {
    return Number(value);
  }
  return value.split(',').map((entry) => entry.trim());
}
