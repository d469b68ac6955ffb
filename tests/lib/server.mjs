// Shared helpers for the black-box tests: run the real `rapport` binary against a temporary
// database on a free loopback port.
//
//   const srv = await startServer();
//   const res = await srv.request('GET', '/api/v2/tickets.json');   // Basic auth with the admin's token
//   await srv.run(['user', 'create', '--email', 'x@example.com', ...]); // CLI against the same DB
//   await srv.stop();
//
//   // Crash and restart on the same database:
//   await srv.kill('SIGKILL');
//   const again = await startServer({ db: srv.db, skipSetup: true, token: srv.token });
//
// Environment:
//   RAPPORT_BIN       the binary (default build/debug/rapport under the repo root)
//   RAPPORT_KEEP_TMP  set to 1 to keep the temp directory (database, server log) after stop()
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

export const ADMIN_EMAIL = 'admin@example.com';
export const ADMIN_NAME = 'Ada Admin';
export const ADMIN_PASSWORD = 'correct horse battery';

// Servers still running when the test process exits (a failed assertion, Ctrl-C) are killed with it.
const liveServers = new Set();
process.on('exit', () => {
  for (const proc of liveServers) proc.kill('SIGKILL');
});

export function rapportBin() {
  const bin = process.env.RAPPORT_BIN || 'build/debug/rapport';
  return path.resolve(repoRoot, bin);
}

/** A port that was free a moment ago on 127.0.0.1 (the OS picks it). */
export function freePort(host = '127.0.0.1') {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen({ port: 0, host, exclusive: true }, () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/**
 * Runs a command to completion. Resolves {code, signal, stdout, stderr}; rejects on a non-zero
 * exit unless `check: false`, and kills it after `timeoutMs`.
 */
export function execute(cmd, args, { env, input, check = true, timeoutMs = 60_000, cwd = repoRoot } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(new Error(`could not run ${cmd}: ${err.message}`));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const result = { code, signal, stdout, stderr };
      if (check && code !== 0) {
        const shown = [cmd, ...args].map((a) => (/\s/.test(a) ? JSON.stringify(a) : a)).join(' ');
        reject(
          Object.assign(new Error(`${shown} exited with ${code ?? signal}\nstdout: ${stdout}\nstderr: ${stderr}`), {
            result,
          }),
        );
      } else resolve(result);
    });
    // A command that exits without reading stdin (sqlite3 with the SQL as an argument, under
    // load) makes the write fail with EPIPE; the exit status already says how it went.
    child.stdin.on('error', (err) => {
      if (err.code !== 'EPIPE') stderr += `[stdin] ${err.message}\n`;
    });
    child.stdin.end(input ?? '');
  });
}

/** Polls `url` until it answers 200, the deadline passes, or `alive()` turns false. */
export async function waitForReady(url, { timeoutMs = 20_000, intervalMs = 50, alive = () => true } = {}) {
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer';
  while (Date.now() < deadline) {
    if (!alive()) throw new Error(`server exited before ${url} answered 200 (last: ${last})`);
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(Math.max(250, deadline - Date.now())) });
      await res.arrayBuffer();
      if (res.status === 200) return;
      last = `HTTP ${res.status}`;
    } catch (err) {
      last = err.cause?.code ?? err.message;
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  throw new Error(`${url} not ready after ${timeoutMs} ms (last: ${last})`);
}

/** `token create` prints the token: a JSON object with `token`, or text whose last word is the token. */
export function parseToken(stdout) {
  try {
    const parsed = JSON.parse(stdout);
    if (typeof parsed?.token === 'string') return parsed.token;
    if (typeof parsed === 'string') return parsed;
  } catch {
    // plain text
  }
  const lines = stdout.split('\n').map((l) => l.trim()).filter(Boolean);
  const words = (lines.at(-1) ?? '').split(/\s+/);
  const token = words.at(-1);
  if (!token) throw new Error(`token create printed no token: ${JSON.stringify(stdout)}`);
  return token;
}

/**
 * Creates a temp database, migrates it, creates an admin (with a password and an API token) and
 * starts `rapport serve` on a free loopback port, then waits for /readyz.
 *
 * Options:
 *   env         extra environment for the server and every CLI call
 *   bin         the binary (default: rapportBin())
 *   webRoot     directory for --web-root; default web/dist when it exists; null to leave the flag out
 *   serveArgs   extra arguments for `serve`
 *   admin       {email, name, password} overrides
 *   readyTimeoutMs
 *   db          an existing database file to serve instead of a new temp one; its directory is
 *               left in place by stop()
 *   skipSetup   do not migrate or create the admin (for a restart on an existing `db`)
 *   token       the admin's API token when skipSetup is set (default: a new one is created)
 *
 * Returns {baseUrl, port, host, db, dir, bin, token, adminEmail, adminPassword, adminName,
 *          basicAuth, pid, run(args, opts), request(method, path, opts), output(), kill(signal),
 *          exited(), stop()}.
 */
export async function startServer({
  env = {},
  bin = rapportBin(),
  webRoot = path.join(repoRoot, 'web', 'dist'),
  serveArgs = [],
  admin = {},
  readyTimeoutMs = 20_000,
  db: existingDb = null,
  skipSetup = false,
  token: givenToken = null,
} = {}) {
  if (!existsSync(bin)) {
    throw new Error(`rapport binary not found at ${bin}: build it (make debug) or set RAPPORT_BIN`);
  }
  const adminEmail = admin.email ?? ADMIN_EMAIL;
  const adminName = admin.name ?? ADMIN_NAME;
  const adminPassword = admin.password ?? ADMIN_PASSWORD;

  const ownsDir = !existingDb;
  const dir = ownsDir ? await mkdtemp(path.join(os.tmpdir(), 'rapport-test-')) : path.dirname(path.resolve(existingDb));
  const db = ownsDir ? path.join(dir, 'rapport.db') : path.resolve(existingDb);
  const host = '127.0.0.1';

  /** Runs the CLI with `--db <the test database>` appended (unless args already name --db). */
  const run = (args, opts = {}) =>
    execute(bin, args.includes('--db') ? args : [...args, '--db', db], { ...opts, env: { ...env, ...opts.env } });

  let child = null;
  let output = '';
  let exited = null; // resolves {code, signal} once the server process is gone
  const cleanup = async () => {
    if (ownsDir && !process.env.RAPPORT_KEEP_TMP) await rm(dir, { recursive: true, force: true });
  };

  try {
    if (!skipSetup) {
      await run(['migrate']);
      await run(['user', 'create', '--email', adminEmail, '--name', adminName, '--role', 'admin', '--password', adminPassword]);
    }
    const token =
      skipSetup && givenToken ? givenToken : parseToken((await run(['token', 'create', '--email', adminEmail])).stdout);

    // The port is free when picked but another process may grab it first: retry on a bind failure.
    let port;
    for (let attempt = 1; ; attempt += 1) {
      port = await freePort(host);
      const args = ['serve', '--db', db, '--listen', `${host}:${port}`, ...serveArgs];
      if (webRoot && existsSync(webRoot)) args.push('--web-root', webRoot);
      output = '';
      child = spawn(bin, args, { cwd: repoRoot, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
      const proc = child;
      liveServers.add(proc);
      for (const stream of [proc.stdout, proc.stderr]) {
        stream.setEncoding('utf8').on('data', (d) => {
          output += d;
          if (output.length > 1_000_000) output = output.slice(-500_000);
        });
      }
      exited = new Promise((resolve) => {
        proc.on('error', (err) => {
          output += `\n[spawn error] ${err.message}\n`;
          resolve({ code: null, signal: null });
        });
        proc.on('exit', (code, signal) => resolve({ code, signal }));
      }).then((result) => {
        liveServers.delete(proc);
        return result;
      });
      let alive = true;
      exited.then(() => (alive = false));
      try {
        await waitForReady(`http://${host}:${port}/readyz`, { timeoutMs: readyTimeoutMs, alive: () => alive });
        break;
      } catch (err) {
        if (alive) {
          proc.kill('SIGKILL');
          await exited;
        }
        if (attempt < 3 && /in use|EADDRINUSE/i.test(output)) continue;
        throw new Error(`${err.message}\n--- server output ---\n${output}`);
      }
    }

    const baseUrl = `http://${host}:${port}`;
    const basicAuth = `Basic ${Buffer.from(`${adminEmail}/token:${token}`).toString('base64')}`;
    let stopped = null;

    return {
      baseUrl,
      host,
      port,
      db,
      dir,
      bin,
      token,
      adminEmail,
      adminName,
      adminPassword,
      basicAuth,
      pid: child.pid,
      run,
      output: () => output,
      /** Sends `signal` to the server (no cleanup; call stop() later). Resolves {code, signal} at exit. */
      kill(signal = 'SIGKILL') {
        if (child.exitCode === null && child.signalCode === null) child.kill(signal);
        return exited;
      },
      /** Resolves {code, signal} once the server process has exited, however it ended. */
      exited: () => exited,
      /**
       * fetch against the server. `auth`: 'token' (default, the admin's API token), 'none', or
       * a full Authorization header value. `body` is sent as JSON (a string or a Buffer is sent
       * as is). Resolves {status, headers, body, text}.
       */
      async request(method, urlPath, { body, auth = 'token', headers = {} } = {}) {
        const h = { Accept: 'application/json', ...headers };
        if (auth === 'token') h.Authorization = basicAuth;
        else if (auth && auth !== 'none') h.Authorization = auth;
        if (body !== undefined) h['Content-Type'] ??= 'application/json';
        // Concatenate rather than resolve, so a path such as "//api/v2//x" reaches the server as is.
        const url = urlPath.startsWith('/') ? `${baseUrl}${urlPath}` : new URL(urlPath, baseUrl);
        const res = await fetch(url, {
          method,
          headers: h,
          body:
            body === undefined
              ? undefined
              : typeof body === 'string' || body instanceof Uint8Array
                ? body
                : JSON.stringify(body),
          redirect: 'manual',
        });
        const text = await res.text();
        let parsed = null;
        try {
          parsed = text ? JSON.parse(text) : null;
        } catch {
          parsed = null;
        }
        return { status: res.status, headers: res.headers, body: parsed, text };
      },
      /** SIGTERM, then waits for the exit (SIGKILL after timeoutMs). Resolves {code, signal}. Idempotent. */
      stop({ timeoutMs = 10_000 } = {}) {
        stopped ??= (async () => {
          const proc = child;
          const timer = setTimeout(() => proc.kill('SIGKILL'), timeoutMs);
          if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM');
          const result = await exited;
          clearTimeout(timer);
          if (process.env.RAPPORT_KEEP_TMP) {
            await writeFile(path.join(dir, ownsDir ? 'server.log' : `server-${proc.pid}.log`), output);
          }
          await cleanup();
          return result;
        })();
        return stopped;
      },
    };
  } catch (err) {
    if (child && child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await exited;
    }
    await cleanup();
    throw err;
  }
}
