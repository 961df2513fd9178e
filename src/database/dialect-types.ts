import { QueryRunner } from 'typeorm';

export function dialectTypes(queryRunner: QueryRunner): { timestamp: string; now: string } {
  return queryRunner.connection.options.type === 'postgres'
    ? { timestamp: 'timestamptz', now: 'now()' }
    : { timestamp: 'datetime', now: "(strftime('%Y-%m-%d %H:%M:%f', 'now'))" };
}
