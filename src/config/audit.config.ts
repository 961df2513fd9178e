import { registerAs } from '@nestjs/config';
import { validateEnvironment } from './environment';

export const auditConfig = registerAs('audit', () => ({
  retentionDays: validateEnvironment(process.env).AUDIT_RETENTION_DAYS,
}));
