import { DataSource, EntityTarget, ObjectLiteral } from 'typeorm';

/** Rows per DELETE: a purge never holds a hot table's locks for more than one small batch. */
export const PURGE_BATCH = 500;

/**
 * Deletes the rows of `target` matching `where` (SQL over its columns, `:name` parameters), a
 * batch at a time until none are left, and answers how many went.
 */
export async function deleteInBatches(
  dataSource: DataSource,
  target: EntityTarget<ObjectLiteral>,
  where: string,
  parameters: Record<string, unknown>,
): Promise<number> {
  const metadata = dataSource.getMetadata(target);
  const [primary] = metadata.primaryColumns.map((column) => `"${column.databaseName}"`);
  const table = metadata.tablePath
    .split('.')
    .map((part) => `"${part}"`)
    .join('.');
  let total = 0;
  for (;;) {
    const { affected } = await dataSource
      .createQueryBuilder()
      .delete()
      .from(target)
      .where(`${primary} IN (SELECT ${primary} FROM ${table} WHERE ${where} LIMIT ${PURGE_BATCH})`)
      .setParameters(parameters)
      .execute();
    total += affected ?? 0;
    if (!affected || affected < PURGE_BATCH) {
      return total;
    }
  }
}
