import { describeDatabase, isPermanentDatabaseError, startupFailureLine } from './startup-failure';

const where = { address: '127.0.0.1:3000', database: 'PostgreSQL db:5432/auth' };

function errorWith(message: string, fields: Record<string, string>): Error {
  return Object.assign(new Error(message), fields);
}

describe('start-up failures', () => {
  it('never shows the credentials of a PostgreSQL URL', () => {
    const described = describeDatabase({
      type: 'postgres',
      url: 'postgres://admin:hunter2-secret@db.internal:5432/auth',
      schema: 'tenant_a',
    });
    expect(described).toBe('PostgreSQL db.internal:5432/auth (schema tenant_a)');
  });

  it('names the SQLite file', () => {
    expect(describeDatabase({ type: 'sqlite', path: './data/portcullis.sqlite' })).toBe(
      'SQLite ./data/portcullis.sqlite',
    );
  });

  it.each([
    ['a missing PostgreSQL database', errorWith('x', { code: '3D000', severity: 'FATAL' }), true],
    ['refused credentials', errorWith('x', { code: '28P01', severity: 'FATAL' }), true],
    ['an unknown role', errorWith('x', { code: '28000', severity: 'FATAL' }), true],
    ['a file that is no SQLite database', errorWith('x', { code: 'SQLITE_NOTADB' }), true],
    ['a folder that cannot be made', errorWith('x', { code: 'ENOTDIR', syscall: 'mkdir' }), true],
    ['a refused connection', errorWith('x', { code: 'ECONNREFUSED', syscall: 'connect' }), false],
    ['too many connections', errorWith('x', { code: '53300', severity: 'FATAL' }), false],
  ])('retries %s only when another attempt could help', (_case, error, permanent) => {
    expect(isPermanentDatabaseError(error)).toBe(permanent);
  });

  it('names the address that is taken', () => {
    const error = errorWith('listen EADDRINUSE', { code: 'EADDRINUSE', syscall: 'listen' });
    expect(startupFailureLine(error, where)).toBe(
      'cannot start: 127.0.0.1:3000 is already in use by another process (set PORT or HOST)',
    );
  });

  it('names the database that failed, with the driver message', () => {
    const error = errorWith('SQLITE_NOTADB: file is not a database', { code: 'SQLITE_NOTADB' });
    expect(startupFailureLine(error, { ...where, database: 'SQLite ./x.sqlite' })).toBe(
      'cannot start: SQLite ./x.sqlite: file is not a database',
    );
  });
});
