'use strict';
// One purge through the built service's PurgeService, in a process of its own (its configuration
// is read once per process); prints `{ seconds, rows }`. Used by bench/growth.js.
const path = require('node:path');
const { NestFactory } = require('@nestjs/core');

const DIST = path.resolve(__dirname, '..', 'dist', 'src');
const { AppModule } = require(path.join(DIST, 'app.module'));
const { createFastifyAdapter } = require(path.join(DIST, 'app.setup'));
const { PurgeService } = require(path.join(DIST, 'maintenance', 'purge.service'));

async function main() {
  const app = await NestFactory.create(AppModule, createFastifyAdapter(), { logger: false });
  await app.init();
  try {
    const started = Date.now();
    const report = await app.get(PurgeService).purge();
    const rows = Object.values(report).reduce((sum, count) => sum + count, 0);
    process.stdout.write(JSON.stringify({ seconds: (Date.now() - started) / 1000, rows }));
  } finally {
    await app.close();
  }
}

main().catch((error) => {
  process.stderr.write(`purge: ${error.message}\n`);
  process.exitCode = 1;
});
