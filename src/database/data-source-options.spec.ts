import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { prepareSqliteFile } from './data-source-options';

describe('prepareSqliteFile', () => {
  let root: string;

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'portcullis-file-'));
  });

  afterEach(() => {
    rmSync(root, { recursive: true, force: true });
  });

  it('creates the folder and the database file readable by the owner only', () => {
    const path = join(root, 'data', 'nested', 'portcullis.sqlite');

    prepareSqliteFile({ type: 'sqlite', path });

    expect(statSync(join(root, 'data')).mode & 0o777).toBe(0o700);
    expect(statSync(join(root, 'data', 'nested')).mode & 0o777).toBe(0o700);
    expect(statSync(path).mode & 0o777).toBe(0o600);
  });

  it('leaves an existing database as it is', () => {
    const path = join(root, 'portcullis.sqlite');
    prepareSqliteFile({ type: 'sqlite', path });
    const { size, mtimeMs } = statSync(path);

    prepareSqliteFile({ type: 'sqlite', path });

    expect(statSync(path)).toMatchObject({ size, mtimeMs });
  });
});
