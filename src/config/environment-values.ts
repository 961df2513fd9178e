/** class-transformer helpers that read environment strings as durations, integers and booleans. */
const DURATION_UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400 };

export function toSeconds({ value }: { value: unknown }): unknown {
  if (typeof value !== 'string') {
    return value;
  }
  const match = /^(\d+)\s*([smhd]?)$/.exec(value.trim());
  return match ? Number(match[1]) * DURATION_UNITS[match[2] || 's'] : value;
}

export function toInteger({ value }: { value: unknown }): unknown {
  return typeof value === 'string' && /^\d+$/.test(value.trim()) ? Number(value) : value;
}

export function toBoolean({ value }: { value: unknown }): unknown {
  if (typeof value !== 'string') {
    return value;
  }
  const normalised = value.trim().toLowerCase();
  if (['true', '1', 'yes', 'on'].includes(normalised)) {
    return true;
  }
  if (['false', '0', 'no', 'off'].includes(normalised)) {
    return false;
  }
  return value;
}
