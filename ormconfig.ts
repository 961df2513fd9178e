import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { databaseConfig } from './src/config/database.config';
import { dataSourceOptions, prepareSqliteFile } from './src/database/data-source-options';

// The TypeORM CLI's data source, built from the same validated configuration as the app.
const database = databaseConfig();
prepareSqliteFile(database);

export default new DataSource(dataSourceOptions(database));
