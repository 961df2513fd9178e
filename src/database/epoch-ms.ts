import { ValueTransformer } from 'typeorm';

/** node-postgres returns BIGINT as a string; epoch milliseconds fit a double exactly. */
export const epochMs: ValueTransformer = {
  to: (value: number | null) => value,
  from: (value: string | number | null) => (value === null ? null : Number(value)),
};
