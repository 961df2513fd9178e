import { appConfig } from './app.config';
import { auditConfig } from './audit.config';
import { authConfig } from './auth.config';
import { databaseConfig } from './database.config';
import { mailConfig } from './mail.config';
import { operationsConfig } from './operations.config';
import { passwordConfig } from './password.config';
import { throttlingConfig } from './throttling.config';

export {
  appConfig,
  auditConfig,
  authConfig,
  databaseConfig,
  mailConfig,
  operationsConfig,
  passwordConfig,
  throttlingConfig,
};
export const configNamespaces = [
  auditConfig,
  appConfig,
  authConfig,
  databaseConfig,
  mailConfig,
  operationsConfig,
  passwordConfig,
  throttlingConfig,
];
