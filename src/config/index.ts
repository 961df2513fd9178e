import { appConfig } from './app.config';
import { authConfig } from './auth.config';
import { databaseConfig } from './database.config';
import { passwordConfig } from './password.config';

export { appConfig, authConfig, databaseConfig, passwordConfig };
export const configNamespaces = [appConfig, authConfig, databaseConfig, passwordConfig];
