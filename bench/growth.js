'use strict';
// npm run bench:growth: what a large table costs. The built service is measured on a small
// database and on one seeded with BENCH_GROWTH_USERS users (default 1,000,000), a session for
// every fourth and an audit event each, written in bulk (one argon2 hash, reused); each figure is
// printed beside the small database's.
// Environment: BENCH_GROWTH_USERS, BENCH_GROWTH_SMALL_USERS (default 1000), BENCH_GROWTH_DATABASE
// (`sqlite`, the default, or a postgres:// URL: a schema of its own is made and dropped),
// BENCH_GROWTH_DURATION (seconds per scenario, default 5).
const autocannon = require('autocannon');
const argon2 = require('argon2');
const { randomBytes } = require('node:crypto');
const path = require('node:path');
const { Client } = require('pg');
const sqlite3 = require('sqlite3');
const { ROOT, start, startServer, tempDir, runMain } = require('./processes');

const DIST = path.join(ROOT, 'dist', 'src');
const { encodeCursor } = require(path.join(DIST, 'common', 'keyset-cursor'));
const USERS = Number(process.env.BENCH_GROWTH_USERS ?? 1_000_000);
const SMALL_USERS = Number(process.env.BENCH_GROWTH_SMALL_USERS ?? 1000);
const DATABASE = process.env.BENCH_GROWTH_DATABASE ?? 'sqlite';
const DURATION = Number(process.env.BENCH_GROWTH_DURATION ?? 5);
const ADMIN = { username: 'bench-admin', password: 'a long bench passphrase that nobody guesses' };
const DAY_MS = 86_400_000;

/** SQL for both databases: `i` runs over 1..n; ids are UUID-shaped hex of i. */
function seedStatements(postgres, n, hash) {
  const hex = (width) => (postgres ? `lpad(to_hex(i), ${width}, '0')` : `printf('%0${width}x', i)`);
  const id = (kind) => `${hex(8)} || '-${kind}-4000-8000-' || ${hex(12)}`;
  // Whole milliseconds, as the service writes them: cursors carry no finer time.
  const ago = (ms) =>
    postgres
      ? `date_trunc('milliseconds', now() - (${ms}) * interval '1 millisecond')`
      : `strftime('%Y-%m-%d %H:%M:%f', 'now', ((${ms}) / -1000.0) || ' seconds')`;
  const series = postgres
    ? `generate_series(1, ${n}) AS s(i)`
    : `(WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < ${n}) SELECT i FROM s)`;
  const literal = (text) => `'${text.replace(/'/g, "''")}'`;
  // Spread over the past 300 days, oldest first; one session in ten revoked 30 days ago and one
  // audit event in ten past the retention: the purge has work on every size.
  return [
    `INSERT INTO users (id, username, "normalizedUsername", email, "fullName", "passwordHash", roles,
       "passwordChangedAt", "createdAt", "updatedAt")
     SELECT ${id('0000')}, 'user' || i, 'user' || i, 'user' || i || '@example.com', 'Bench User ' || i,
       ${literal(hash)}, '["user"]', ${ago(`(${n} - i) * ${((300 * DAY_MS) / n).toFixed(3)}`)},
       ${ago(`(${n} - i) * ${((300 * DAY_MS) / n).toFixed(3)}`)}, ${ago(`(${n} - i) * ${((300 * DAY_MS) / n).toFixed(3)}`)}
     FROM ${series}`,
    `INSERT INTO sessions (id, "userId", scope, "createdAt", "lastUsedAt", "expiresAt", "revokedAt")
     SELECT ${id('0001')}, ${id('0000')}, 'profile', ${ago(`i * 1000`)}, ${ago(`i * 1000`)},
       ${ago(`-${30 * DAY_MS}`)}, CASE WHEN i % 10 = 0 THEN ${ago(30 * DAY_MS)} END
     FROM ${series} WHERE i % 4 = 0`,
    `INSERT INTO audit_events (id, type, "userId", ip, at, detail)
     SELECT ${id('0002')}, 'login_succeeded', ${id('0000')}, '127.0.0.1',
       ${ago(`CASE WHEN i % 10 = 0 THEN ${400 * DAY_MS} ELSE (${n} - i) * ${((300 * DAY_MS) / n).toFixed(3)} END`)}, '{}'
     FROM ${series}`,
    // Settled as a long-lived database is: no vacuum or checkpoint left to run during the load.
    ...(postgres ? ['VACUUM ANALYZE users, sessions, audit_events', 'CHECKPOINT'] : ['ANALYZE']),
  ];
}

function sqliteRun(file, statements) {
  const db = new sqlite3.Database(file);
  const run = (sql) =>
    new Promise((resolve, reject) => db.run(sql, (e) => (e ? reject(e) : resolve())));
  return statements
    .reduce((done, sql) => done.then(() => run(sql)), Promise.resolve())
    .finally(() => new Promise((resolve) => db.close(resolve)));
}

async function database(size) {
  if (DATABASE === 'sqlite') {
    const file = path.join(tempDir(), 'growth.sqlite');
    return { url: `sqlite:${file}`, seed: (sql) => sqliteRun(file, sql), drop: async () => {} };
  }
  const schema = `bench_growth_${size}_${randomBytes(4).toString('hex')}`;
  const admin = new Client({ connectionString: DATABASE });
  await admin.connect();
  await admin.query(`CREATE SCHEMA ${schema}`);
  const url = new URL(DATABASE);
  url.searchParams.set('schema', schema);
  return {
    url: url.toString(),
    seed: async (statements) => {
      const client = new Client({ connectionString: DATABASE });
      await client.connect();
      try {
        await client.query(`SET search_path = ${schema}`);
        for (const sql of statements) {
          await client.query(sql);
        }
      } finally {
        await client.end();
      }
    },
    drop: async () => {
      await admin.query(`DROP SCHEMA ${schema} CASCADE`);
      await admin.end();
    },
  };
}

function serviceEnv(url, extra = {}) {
  return {
    NODE_ENV: 'production',
    DATABASE_URL: url,
    ISSUER: 'https://bench.local',
    LOG_LEVEL: 'warn',
    JWT_ALG: 'HS256',
    JWT_SECRET: 'growth bench secret, 32 bytes or more, not for production',
    TOKEN_REQUESTS_PER_MINUTE: '100000',
    LOGIN_FAILURES_BEFORE_DELAY: '1000',
    ACCOUNT_FAILURE_CEILING: '100000',
    BOOTSTRAP_ADMIN_USERNAME: ADMIN.username,
    BOOTSTRAP_ADMIN_PASSWORD: ADMIN.password,
    ...extra,
  };
}

async function json(response) {
  const body = await response.json();
  if (!response.ok) {
    throw new Error(`${response.url}: ${response.status} ${JSON.stringify(body)}`);
  }
  return body;
}

// One connection unless told: an administrator's query is measured as one request's latency,
// not as a queue of them.
async function load(options) {
  const result = await autocannon({ duration: DURATION, connections: 1, ...options });
  if (result.non2xx > 0 || result.errors > 0) {
    throw new Error(`${options.url}: ${result.non2xx} non-2xx, ${result.errors} errors`);
  }
  return { rps: result['2xx'] / result.duration, p99: result.latency.p99 };
}

/** The row at 90 % of the table, oldest first: a cursor deep in the list. */
async function deepCursor(base, headers, n) {
  const user = await json(
    await fetch(`${base}/users?q=user${Math.ceil(n * 0.9)}&limit=1`, { headers }),
  );
  const [row] = user.items;
  return encodeCursor('users', { at: new Date(row.createdAt), id: row.id });
}

/** A database of n users, seeded, with the service running on it and an administrator's token. */
async function prepare(n) {
  const db = await database(n);
  try {
    process.stderr.write(`${n} users: migrating, seeding...\n`);
    const migrating = await startServer([path.join(DIST, 'main.js')], serviceEnv(db.url));
    await migrating.stop();
    const hash = await argon2.hash('a password nobody logs in with, reused by every row', {
      type: argon2.argon2id,
    });
    const seeded = Date.now();
    await db.seed(seedStatements(DATABASE !== 'sqlite', n, hash));
    const seedSeconds = (Date.now() - seeded) / 1000;
    process.stderr.write(`${n} users: seeded in ${seedSeconds.toFixed(0)} s\n`);
    const server = await startServer([path.join(DIST, 'main.js')], serviceEnv(db.url));
    const login = {
      url: `${server.base}/auth/token`,
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'password', ...ADMIN }).toString(),
    };
    const { access_token: token } = await json(await fetch(login.url, login));
    const headers = { authorization: `Bearer ${token}` };
    const deep = await deepCursor(server.base, headers, n);
    return { n, db, server, login, headers, deep, results: { seedSeconds } };
  } catch (error) {
    await db.drop();
    throw error;
  }
}

const get = (size, route) => ({ url: `${size.server.base}${route}`, headers: size.headers });

const SCENARIOS = [
  ['login', (size) => load({ ...size.login, connections: 16 })],
  ['me', (size) => load({ ...get(size, '/users/me'), connections: 50 })],
  ['prefix', (size) => load(get(size, `/users?q=USER${Math.ceil(size.n / 2)}`))],
  // user99999 at 1,000,000: its 11 matches are among the newest, the worst case for a page
  // walked in creation order.
  ['newestPrefix', (size) => load(get(size, `/users?q=user${Math.floor((size.n - 1) / 10)}`))],
  ['widePrefix', (size) => load(get(size, '/users?q=u'))],
  ['substring', (size) => load(get(size, `/users?q=er${Math.ceil(size.n / 2)}&search=substring`))],
  ['keyset', (size) => load(get(size, `/users?after=${size.deep}`))],
  ['offset', (size) => load(get(size, '/users?offset=10000'))],
  ['audit', (size) => load(get(size, '/audit?userId=00000001-0000-4000-8000-000000000001'))],
];

/**
 * Both sizes are up at once, and each scenario runs on one and right after on the other,
 * alternating which goes first, so that the machine's drift over minutes falls on both.
 */
async function measure() {
  const sizes = [];
  try {
    sizes.push(await prepare(SMALL_USERS));
    sizes.push(await prepare(USERS));
    process.stderr.write('measuring...\n');
    for (const size of sizes) {
      await load({ ...size.login, connections: 16, duration: 2 });
    }
    for (const [index, [name, scenario]] of SCENARIOS.entries()) {
      for (const size of index % 2 === 0 ? sizes : [...sizes].reverse()) {
        size.results[name] = await scenario(size);
      }
    }
    for (const size of sizes) {
      await size.server.stop();
      size.results.purge = await timePurge(size.db.url);
    }
    return sizes.map((size) => size.results);
  } finally {
    for (const size of sizes) {
      await size.server.stop();
      await size.db.drop();
    }
  }
}

async function timePurge(url) {
  const child = start([path.join(__dirname, 'purge-once.js')], serviceEnv(url));
  const code = await child.exited;
  if (code !== 0) {
    throw new Error(`the purge failed:\n${child.output}`);
  }
  return JSON.parse(child.output);
}

const ROWS = [
  ['login rps', (r) => r.login.rps, (s, l) => s > 0 && l >= 0.9 * s, '>= 0.9 x small'],
  ['login p99 ms', (r) => r.login.p99, null, ''],
  ['GET /users/me rps', (r) => r.me.rps, (s, l) => s > 0 && l >= 0.9 * s, '>= 0.9 x small'],
  ['GET /users/me p99 ms', (r) => r.me.p99, null, ''],
  ['prefix search p99 ms', (r) => r.prefix.p99, (s, l) => l < 50, '< 50 ms'],
  ['prefix search, newest 11 p99 ms', (r) => r.newestPrefix.p99, (s, l) => l < 50, '< 50 ms'],
  ['prefix search, every user p99 ms', (r) => r.widePrefix.p99, (s, l) => l < 50, '< 50 ms'],
  // SQLite has no trigram index: a substring search there is a documented scan.
  DATABASE === 'sqlite'
    ? ['substring search p99 ms', (r) => r.substring.p99, null, 'indexed on PostgreSQL only']
    : ['substring search p99 ms', (r) => r.substring.p99, (s, l) => l < 50, '< 50 ms'],
  ['deep keyset page p99 ms', (r) => r.keyset.p99, (s, l) => l < 50, '< 50 ms'],
  ['offset=10000 page p99 ms', (r) => r.offset.p99, (s, l) => l < 50, '< 50 ms'],
  ["a user's audit p99 ms", (r) => r.audit.p99, (s, l) => l < 50, '< 50 ms'],
  ['purge s', (r) => r.purge.seconds, null, ''],
  ['rows purged', (r) => r.purge.rows, null, ''],
  ['seeding s', (r) => r.seedSeconds, null, ''],
];

async function main() {
  const [small, large] = await measure();
  const kind = DATABASE === 'sqlite' ? 'SQLite' : 'PostgreSQL';
  console.log(`\n${kind}, ${DURATION} s per scenario, ${new Date().toISOString()}\n`);
  console.log(`| measure | ${SMALL_USERS} users | ${USERS} users | ratio | target | met |`);
  console.log('|---|---:|---:|---:|---|---|');
  for (const [label, pick, meets, target] of ROWS) {
    const [s, l] = [pick(small), pick(large)];
    const met = meets ? (meets(s, l) ? 'yes' : '**no**') : '';
    const format = (v) => (v >= 100 ? Math.round(v).toLocaleString('en-US') : v.toFixed(1));
    console.log(
      `| ${label} | ${format(s)} | ${format(l)} | ${s > 0 ? `${(l / s).toFixed(2)} x` : 'n/a'} | ${target} | ${met} |`,
    );
  }
}

if (require.main === module) {
  runMain(main);
}

module.exports = { seedStatements, serviceEnv };
