import { QueryFailedError } from 'typeorm';
import { isDatabaseUnavailable } from './database-unavailable';

function withCode(message: string, code: string): Error {
  return Object.assign(new Error(message), { code });
}

describe('isDatabaseUnavailable', () => {
  it.each([
    ['a refused connection', withCode('connect ECONNREFUSED 127.0.0.1:5432', 'ECONNREFUSED')],
    ['a reset connection', withCode('read ECONNRESET', 'ECONNRESET')],
    ['pg losing its connection', new Error('Connection terminated unexpectedly')],
    ['pg timing out on connect', new Error('timeout exceeded when trying to connect')],
    ['PostgreSQL shutting down (57P01)', withCode('terminating connection', '57P01')],
    ['a PostgreSQL connection exception (08006)', withCode('connection failure', '08006')],
    ['SQLite busy', withCode('SQLITE_BUSY: database is locked', 'SQLITE_BUSY')],
    ['SQLite unable to open the file', withCode('SQLITE_CANTOPEN', 'SQLITE_CANTOPEN')],
  ])('is true for %s', (_name, error) => {
    expect(isDatabaseUnavailable(error)).toBe(true);
  });

  it('is true for a driver error wrapped in a TypeORM QueryFailedError', () => {
    const wrapped = new QueryFailedError('SELECT 1', [], withCode('refused', 'ECONNREFUSED'));

    expect(isDatabaseUnavailable(wrapped)).toBe(true);
  });

  it('is true for an error whose cause is a lost connection', () => {
    const error = new Error('query failed', { cause: new Error('Connection terminated') });

    expect(isDatabaseUnavailable(error)).toBe(true);
  });

  it.each([
    ['a unique violation (23505)', withCode('duplicate key value', '23505')],
    ['a SQLite constraint failure', withCode('SQLITE_CONSTRAINT: UNIQUE', 'SQLITE_CONSTRAINT')],
    ['a plain bug', new TypeError("Cannot read properties of undefined (reading 'id')")],
    ['a non-error value', 'ECONNREFUSED'],
  ])('is false for %s', (_name, error) => {
    expect(isDatabaseUnavailable(error)).toBe(false);
  });
});
