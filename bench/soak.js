'use strict';
// npm run bench:soak: mixed traffic against the built service for BENCH_SOAK_SECONDS (default
// 600), RSS read after the first minute and at the end; the end should be within 5 % of it
// (memory that keeps growing under steady load is a leak). Logins, GET /users/me and the
// administrator's lists, on SQLite in a folder of its own.
const autocannon = require('autocannon');
const path = require('node:path');
const { ROOT, rssMiB, runMain, sleep, startServer, tempDir } = require('./processes');

const SECONDS = Number(process.env.BENCH_SOAK_SECONDS ?? 600);
const FIRST_MINUTE = Math.min(60, SECONDS / 2);
const ADMIN = { username: 'bench-admin', password: 'a long bench passphrase that nobody guesses' };
const FORM = { 'content-type': 'application/x-www-form-urlencoded' };

async function tokens(base) {
  const response = await fetch(`${base}/auth/token`, {
    method: 'POST',
    headers: FORM,
    body: new URLSearchParams({ grant_type: 'password', ...ADMIN }).toString(),
  });
  if (response.status !== 200) {
    throw new Error(`login answered ${response.status}`);
  }
  return response.json();
}

function traffic(base, accessToken, seconds) {
  const bearer = { authorization: `Bearer ${accessToken}` };
  const login = new URLSearchParams({ grant_type: 'password', ...ADMIN }).toString();
  return autocannon({
    url: base,
    duration: seconds,
    connections: 20,
    requests: [
      { method: 'GET', path: '/users/me', headers: bearer },
      { method: 'GET', path: '/users/me', headers: bearer },
      { method: 'GET', path: '/users?q=bench&limit=20', headers: bearer },
      { method: 'GET', path: '/audit?limit=50', headers: bearer },
      { method: 'POST', path: '/auth/token', headers: FORM, body: login },
    ],
  });
}

async function main() {
  const dir = tempDir();
  const server = await startServer([path.join(ROOT, 'dist', 'src', 'main.js')], {
    NODE_ENV: 'production',
    DATABASE_URL: `sqlite:${path.join(dir, 'soak.sqlite')}`,
    ISSUER: 'https://bench.local',
    LOG_LEVEL: 'warn',
    TOKEN_REQUESTS_PER_MINUTE: '100000',
    LOGIN_FAILURES_BEFORE_DELAY: '1000',
    ACCOUNT_FAILURE_CEILING: '100000',
    BOOTSTRAP_ADMIN_USERNAME: ADMIN.username,
    BOOTSTRAP_ADMIN_PASSWORD: ADMIN.password,
  });
  try {
    const { access_token: access } = await tokens(server.base);
    const running = traffic(server.base, access, SECONDS);
    await sleep(FIRST_MINUTE * 1000);
    const first = rssMiB(server.pid);
    process.stderr.write(`RSS after ${FIRST_MINUTE} s: ${first.toFixed(1)} MiB\n`);
    const result = await running;
    const end = rssMiB(server.pid);
    const growth = (end / first - 1) * 100;
    console.log(`\n| measure | value | target | met |\n|---|---:|---|---|`);
    console.log(`| RSS after ${FIRST_MINUTE} s MiB | ${first.toFixed(1)} | | |`);
    console.log(`| RSS after ${SECONDS} s MiB | ${end.toFixed(1)} | | |`);
    console.log(
      `| growth since the first minute | ${growth.toFixed(1)} % | <= 5 % | ${growth <= 5 ? 'yes' : '**no**'} |`,
    );
    console.log(
      `| requests (2xx / other / errors) | ${result['2xx']} / ${result.non2xx} / ${result.errors} | | |`,
    );
  } finally {
    await server.stop();
  }
}

runMain(main);
