'use strict';
// How long after a rotation a second instance signs with the promoted key (docs/security.md).
// Two built services (npm run build) on one fresh PostgreSQL schema; A rotates, and both are polled
// with client_credentials tokens until each signs with the new kid. The figure is B's first new
// token minus A's, each to within one poll (a few ms).
// Environment: BENCH_DATABASE_URL (postgres://..., required), BENCH_REDIS_URL (optional: without it
// B learns of the rotation at its next reload), BENCH_ROTATIONS (default 10),
// BENCH_SERVICE_ENV='NAME=VALUE ...' (added to both services, e.g. KEY_RELOAD_INTERVAL=2).
const { spawn } = require('node:child_process');
const { randomBytes } = require('node:crypto');
const net = require('node:net');
const path = require('node:path');
const { Client } = require('pg');

const MAIN = path.join(__dirname, '..', 'dist', 'src', 'main.js');
const DATABASE_URL = process.env.BENCH_DATABASE_URL;
const REDIS_URL = process.env.BENCH_REDIS_URL;
const ROTATIONS = Number(process.env.BENCH_ROTATIONS ?? 10);
const SERVICE_ENV = Object.fromEntries(
  (process.env.BENCH_SERVICE_ENV ?? '')
    .split(/\s+/)
    .filter(Boolean)
    .map((pair) => [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)]),
);
const ADMIN = { username: 'bench-admin', password: 'a long bench passphrase that nobody guesses' };
const FORM = { 'content-type': 'application/x-www-form-urlencoded' };

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const kidOf = (token) => JSON.parse(Buffer.from(token.split('.')[0], 'base64url')).kid;

function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

async function startService(env) {
  const port = await freePort();
  const child = spawn(process.execPath, [MAIN], {
    env: { PATH: process.env.PATH, PORT: String(port), ...env },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const base = `http://127.0.0.1:${port}`;
  for (const deadline = Date.now() + 60000; Date.now() < deadline; await sleep(50)) {
    if (child.exitCode !== null) {
      throw new Error(`a service exited with ${child.exitCode}`);
    }
    if ((await fetch(`${base}/health`).catch(() => undefined))?.status === 200) {
      return { child, base };
    }
  }
  throw new Error('a service did not start within 60 s');
}

async function json(response) {
  const body = await response.json();
  if (!response.ok) {
    throw new Error(`${response.status} ${JSON.stringify(body)}`);
  }
  return body;
}

async function clientToken(base, client) {
  const basic = Buffer.from(`${client.clientId}:${client.clientSecret}`).toString('base64');
  const body = await json(
    await fetch(`${base}/auth/token`, {
      method: 'POST',
      headers: { ...FORM, authorization: `Basic ${basic}` },
      body: 'grant_type=client_credentials',
    }),
  );
  return body.access_token;
}

/** When (performance.now()) `base` first answered with a token not signed by `oldKid`. */
async function switchedAt(base, client, oldKid) {
  for (const deadline = performance.now() + 60000; performance.now() < deadline;) {
    const kid = kidOf(await clientToken(base, client));
    if (kid !== oldKid) {
      return { at: performance.now(), kid };
    }
  }
  throw new Error(`${base} still signs with ${oldKid} after 60 s`);
}

async function main() {
  if (!DATABASE_URL) {
    throw new Error(
      'Set BENCH_DATABASE_URL to a PostgreSQL database the bench may add a schema to',
    );
  }
  const schema = `bench_${randomBytes(6).toString('hex')}`;
  const admin = new Client({ connectionString: DATABASE_URL });
  await admin.connect();
  await admin.query(`CREATE SCHEMA ${schema}`);
  const databaseUrl = new URL(DATABASE_URL);
  databaseUrl.searchParams.set('schema', schema);
  const env = {
    NODE_ENV: 'production',
    ISSUER: 'https://bench.portcullis.test',
    DATABASE_URL: databaseUrl.toString(),
    BOOTSTRAP_ADMIN_USERNAME: ADMIN.username,
    BOOTSTRAP_ADMIN_PASSWORD: ADMIN.password,
    TOKEN_REQUESTS_PER_MINUTE: '100000',
    LOG_LEVEL: 'warn',
    ...(REDIS_URL ? { REDIS_URL, REDIS_KEY_PREFIX: `${schema}:` } : {}),
    ...SERVICE_ENV,
  };
  const services = [];
  try {
    services.push(await startService(env));
    services.push(await startService(env));
    const [a, b] = services.map((service) => service.base);
    const { access_token: adminToken } = await json(
      await fetch(`${a}/auth/token`, {
        method: 'POST',
        headers: FORM,
        body: new URLSearchParams({ grant_type: 'password', ...ADMIN }).toString(),
      }),
    );
    const client = await json(
      await fetch(`${a}/clients`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${adminToken}` },
        body: JSON.stringify({ name: 'bench', scopes: ['bench'] }),
      }),
    );
    const lags = [];
    for (let rotation = 0; rotation < ROTATIONS; rotation += 1) {
      const oldKid = kidOf(await clientToken(a, client));
      const rotated = fetch(`${a}/keys/rotate`, {
        method: 'POST',
        headers: { authorization: `Bearer ${adminToken}` },
      }).then(json);
      const [onA, onB, { kid }] = await Promise.all([
        switchedAt(a, client, oldKid),
        switchedAt(b, client, oldKid),
        rotated,
      ]);
      if (onA.kid !== kid || onB.kid !== kid) {
        throw new Error(`expected ${kid}, A signs with ${onA.kid} and B with ${onB.kid}`);
      }
      lags.push(onB.at - onA.at);
    }
    const sorted = [...lags].sort((x, y) => x - y);
    const ms = (value) => `${value.toFixed(1)} ms`;
    console.log(
      `${REDIS_URL ? 'with' : 'without'} Redis, ${ROTATIONS} rotations: B signed with the ` +
        `promoted key ${ms(sorted[Math.floor(sorted.length / 2)])} after A (median), ` +
        `${ms(sorted[sorted.length - 1])} at most, ${ms(sorted[0])} at least`,
    );
  } finally {
    await Promise.all(
      services.map(({ child }) => {
        child.kill('SIGTERM');
        return new Promise((resolve) => child.once('exit', resolve));
      }),
    );
    await admin.query(`DROP SCHEMA ${schema} CASCADE`);
    await admin.end();
  }
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
