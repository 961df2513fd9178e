'use strict';
// The processes a bench starts: spawned, awaited on /health, measured, and stopped.
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..');

const children = new Set();
const tempDirs = new Set();

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

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function start(args, env) {
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  child.output = '';
  const keep = (chunk) => {
    child.output = (child.output + chunk.toString()).slice(-4000);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  child.exited = new Promise((resolve) => child.once('exit', resolve));
  child.exited.then(() => children.delete(child));
  return child;
}

async function stop(child) {
  if (child.exitCode !== null || child.signalCode !== null) {
    return;
  }
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10000);
  await child.exited;
  clearTimeout(timer);
}

async function waitForHealth(base, child, started) {
  for (;;) {
    if (child.exitCode !== null) {
      throw new Error(
        `the server exited (${child.exitCode}) before /health answered:\n${child.output}`,
      );
    }
    try {
      const res = await fetch(`${base}/health`);
      if (res.status === 200) {
        return Number(process.hrtime.bigint() - started) / 1e6;
      }
    } catch {
      // not listening yet
    }
    if (Number(process.hrtime.bigint() - started) > 60e9) {
      throw new Error(`/health did not answer 200 within 60 s:\n${child.output}`);
    }
    await sleep(10);
  }
}

function rssMiB(pid) {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/^VmRSS:\s+(\d+) kB/m.exec(status)[1]) / 1024;
}

/** A started server: where it answers, its pid, its cold start, and how to stop it. */
async function startServer(args, env) {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const started = process.hrtime.bigint();
  const child = start(args, { PORT: String(port), ...env });
  try {
    const coldStart = await waitForHealth(base, child, started);
    return { base, pid: child.pid, coldStart, stop: () => stop(child) };
  } catch (error) {
    await stop(child);
    throw error;
  }
}

async function cleanUp() {
  await Promise.all([...children].map(stop));
  for (const dir of tempDirs) {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** A folder removed by cleanUp(). */
function tempDir() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'portcullis-bench-'));
  tempDirs.add(dir);
  return dir;
}

/** Stops every child and removes every folder on Ctrl-C, or when main() settles. */
function runMain(main) {
  for (const signal of ['SIGINT', 'SIGTERM']) {
    process.once(signal, () => {
      void cleanUp().then(() => process.exit(130));
    });
  }
  main()
    .catch((error) => {
      process.stderr.write(`bench: ${error.message}\n`);
      process.exitCode = 1;
    })
    .finally(cleanUp);
}

module.exports = { ROOT, freePort, sleep, start, stop, rssMiB, startServer, tempDir, runMain };
