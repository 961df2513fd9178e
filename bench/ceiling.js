'use strict';
// The physical ceiling the service is measured against: bare node:http, HS256 verify
// with node:crypto, the user from a Map, argon2id login at the service's floor parameters;
// a personal access token is a SHA-256 and a Map lookup.
// Started by bench/run.js with PORT and BENCH_USERNAME / BENCH_PASSWORD set.
const argon2 = require('argon2');
const {
  createHash,
  createHmac,
  createSecretKey,
  randomBytes,
  randomUUID,
  timingSafeEqual,
} = require('node:crypto');
const http = require('node:http');
const querystring = require('node:querystring');

const ISSUER = 'https://bench.local';
const AUDIENCE = 'portcullis-bench';
const SECRET = createSecretKey(randomBytes(32));
const ARGON2 = { type: argon2.argon2id, memoryCost: 19456, timeCost: 2, parallelism: 1 };
const HEADER = Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'at+jwt' })).toString('base64url');

const users = new Map();
const byId = new Map();
/** Personal access tokens: SHA-256 of the token -> user, as the service keeps their hashes. */
const personalTokens = new Map();

const sha256 = (text) => createHash('sha256').update(text).digest('hex');

function sign(claims) {
  const body = `${HEADER}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}`;
  const mac = createHmac('sha256', SECRET).update(body).digest('base64url');
  return `${body}.${mac}`;
}

function verify(token) {
  const parts = token.split('.');
  if (parts.length !== 3 || parts[0] !== HEADER) {
    return null;
  }
  const expected = createHmac('sha256', SECRET).update(`${parts[0]}.${parts[1]}`).digest();
  const given = Buffer.from(parts[2], 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    return null;
  }
  const claims = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8'));
  const now = Math.floor(Date.now() / 1000);
  if (claims.iss !== ISSUER || claims.aud !== AUDIENCE || claims.exp <= now || claims.iat > now) {
    return null;
  }
  return claims;
}

function send(res, status, body) {
  const json = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(json),
  });
  res.end(json);
}

async function login(req, res) {
  const chunks = [];
  for await (const chunk of req) {
    chunks.push(chunk);
  }
  const form = querystring.parse(Buffer.concat(chunks).toString('utf8'));
  const user = users.get(form.username);
  if (!user || !(await argon2.verify(user.passwordHash, String(form.password)))) {
    return send(res, 401, { error: 'invalid_grant' });
  }
  const iat = Math.floor(Date.now() / 1000);
  const token = sign({
    iss: ISSUER,
    aud: AUDIENCE,
    sub: user.id,
    jti: randomUUID(),
    iat,
    exp: iat + 900,
  });
  send(res, 200, { access_token: token, token_type: 'bearer', expires_in: 900 });
}

function bearerUser(auth) {
  if (!auth || !auth.startsWith('Bearer ')) {
    return undefined;
  }
  const token = auth.slice(7);
  if (token.startsWith('pat_')) {
    return personalTokens.get(sha256(token));
  }
  const claims = verify(token);
  return claims ? byId.get(claims.sub) : undefined;
}

function me(req, res) {
  const user = bearerUser(req.headers.authorization);
  if (!user) {
    return send(res, 401, { error: 'invalid_token' });
  }
  const { passwordHash: _hash, ...visible } = user;
  send(res, 200, visible);
}

async function createPersonalToken(req, res) {
  for await (const chunk of req) {
    void chunk;
  }
  const user = bearerUser(req.headers.authorization);
  if (!user) {
    return send(res, 401, { error: 'invalid_token' });
  }
  const token = `pat_${randomBytes(32).toString('base64url')}`;
  personalTokens.set(sha256(token), user);
  send(res, 201, { token });
}

const server = http.createServer((req, res) => {
  if (req.method === 'GET' && req.url === '/health') {
    return send(res, 200, { status: 'ok' });
  }
  if (req.method === 'GET' && req.url === '/users/me') {
    return me(req, res);
  }
  if (req.method === 'POST' && req.url === '/users/me/tokens') {
    return createPersonalToken(req, res).catch(() => send(res, 500, { error: 'server_error' }));
  }
  if (req.method === 'POST' && req.url === '/auth/token') {
    return login(req, res).catch(() => send(res, 500, { error: 'server_error' }));
  }
  send(res, 404, { error: 'not_found' });
});

async function main() {
  const username = process.env.BENCH_USERNAME;
  const user = {
    id: randomUUID(),
    username,
    email: null,
    fullName: null,
    roles: ['user'],
    disabled: false,
    passwordHash: await argon2.hash(process.env.BENCH_PASSWORD, ARGON2),
  };
  users.set(username, user);
  byId.set(user.id, user);
  server.listen(Number(process.env.PORT), '127.0.0.1');
}

process.once('SIGTERM', () => server.close(() => process.exit(0)));
server.keepAliveTimeout = 72000;
main().catch((error) => {
  process.stderr.write(`ceiling: ${error.stack}\n`);
  process.exit(1);
});
