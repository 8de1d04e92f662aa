// Starts the real binaries on free loopback ports for end-to-end tests. Every process is
// killed when the test process exits, so nothing outlives a run.
import { spawn } from 'node:child_process';
import { before, after } from 'node:test';
import { mkdtempSync, writeFileSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import http from 'node:http';

const here = dirname(fileURLToPath(import.meta.url));
export const repoRoot = resolve(here, '../..');
const buildDir = resolve(repoRoot, process.env.SWITCHYARD_BUILD_DIR || 'build');
export const gatewayBin = process.env.SWITCHYARD_BIN || join(buildDir, 'switchyard');
export const emulatorBin = process.env.SWITCHYARD_EMULATOR || join(buildDir, 'switchyard-emulator');
/// Environment that runs the gateway with tests/e2e/preload/slow_libc.cpp, which slows
/// getaddrinfo and fsync as `settings` (its SLOW_LIBC_* variables) say. A sanitized binary
/// must be told that its runtime is not first in the library list.
export function slowLibc(settings) {
  const asan = process.env.ASAN_OPTIONS;
  return {
    LD_PRELOAD: join(buildDir, 'libslow_libc.so'), ...settings,
    ...(asan !== undefined ? { ASAN_OPTIONS: `${asan}:verify_asan_link_order=0` } : {}),
  };
}

export const API_KEY = 'sk-test-0123456789';
export const FLOWGPT_TOKEN = 'flowgpt-token-abcdef';
export const DEVICE_ID = 'AbCdEfGhIjKlMnOpQrStU';

const running = new Set();
// Scratch folders live until the test file ends, since a restarted gateway reuses its folder.
const scratch = new Set();
export const scratchDir = (prefix) => { const d = mkdtempSync(join(tmpdir(), prefix)); scratch.add(d); return d; };
process.on('exit', () => {
  for (const p of running) { try { p.kill('SIGKILL'); } catch {} }
  for (const d of scratch) rmSync(d, { recursive: true, force: true });
});

function waitForLine(proc, pattern, what) {
  return new Promise((resolveLine, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`${what} did not start: ${out}`)), 10000);
    const onData = (chunk) => {
      out += chunk;
      const m = out.match(pattern);
      if (m) { clearTimeout(timer); resolveLine(m); }
    };
    proc.stdout.on('data', onData);
    proc.stderr.on('data', (c) => { out += c; });
    proc.on('exit', (code) => { clearTimeout(timer); reject(new Error(`${what} exited with ${code}: ${out}`)); });
    proc.on('error', (err) => { clearTimeout(timer); reject(new Error(`${what} could not be started: ${err.message}`)); });
  });
}

function track(proc) {
  running.add(proc);
  proc.exited = new Promise((r) => proc.on('exit', (code, signal) => { running.delete(proc); r({ code, signal }); }));
  proc.logs = '';
  proc.stderr.on('data', (c) => { proc.logs += c; });
  proc.stdout.on('data', (c) => { proc.logs += c; });
  return proc;
}

/// Starts the emulator; with `tls: true` it also serves https on another port, with a fresh
/// self-signed certificate (for 127.0.0.1 unless args say otherwise) written to `certFile`.
export async function startEmulator(args = [], { tls = false } = {}) {
  const certFile = tls ? join(scratchDir('switchyard-tls-'), 'cert.pem') : undefined;
  const tlsArgs = tls ? ['--tls-listen', '127.0.0.1:0', '--tls-cert-out', certFile] : [];
  const proc = track(spawn(emulatorBin, ['--listen', '127.0.0.1:0', '--tokens', FLOWGPT_TOKEN, '--device-id', DEVICE_ID, ...tlsArgs, ...args],
    { stdio: ['ignore', 'pipe', 'pipe'] }));
  const pattern = tls ? /emulator listening on http:\/\/127\.0\.0\.1:(\d+)\s+emulator tls on https:\/\/127\.0\.0\.1:(\d+)/
    : /emulator listening on http:\/\/127\.0\.0\.1:(\d+)/;
  const [, port, tlsPort] = await waitForLine(proc, pattern, 'emulator');
  const url = `http://127.0.0.1:${port}`;
  return {
    url, proc, certFile,
    tlsUrl: tls ? `https://127.0.0.1:${tlsPort}` : undefined,
    events: async () => (await fetch(`${url}/_emulator/events`)).json(),
    traffic: async () => (await fetch(`${url}/_emulator/traffic`)).json(),
    stop: async () => { proc.kill('SIGTERM'); await proc.exited; },
  };
}

/// An emulator and a gateway that reaches both web upstreams on it, started before the test
/// file's tests and stopped after them: `web.emulator` and `web.gateway` once started.
export function emulatorAndGateway(env = {}) {
  const web = {};
  before(async () => {
    web.emulator = await startEmulator();
    web.gateway = await startGateway({ emulator: web.emulator, env: { CHATGPTFREE_BASE_URL: web.emulator.url, ...env } });
  });
  after(async () => {
    await web.gateway?.stop();
    await web.emulator?.stop();
  });
  return web;
}

/// A fresh emulator and a gateway that reaches both web upstreams on it, for one test: `body(up,
/// gw)` runs between their start and their stop.
export async function withEmulatorAndGateway({ emulatorArgs = [], env = {}, config = {} } = {}, body) {
  const up = await startEmulator(emulatorArgs);
  const gw = await startGateway({ emulator: up, env: { CHATGPTFREE_BASE_URL: up.url, ...env }, config });
  try {
    await body(up, gw);
  } finally {
    await gw.stop();
    await up.stop();
  }
}

/// Runs a client program (`node script args…`) as a user would, in `cwd` with exactly `env`;
/// resolves with its exit code and everything it printed. Killed after `timeoutMs`.
export function runClient(script, args, { cwd, env, timeoutMs = 120_000 }) {
  return new Promise((resolveRun) => {
    const child = spawn(process.execPath, [script, ...args], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (c) => { out += c; });
    child.stderr.on('data', (c) => { out += c; });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('exit', (code, signal) => { clearTimeout(timer); resolveRun({ code, signal, out }); });
  });
}

/// The chat pages a test gateway reads for AIPKit bots: none unless a test asks (`chatPages`), so
/// that model lists and upstream traffic are what each test set up.
export const chatPages = ['/chat/', '/'];

export const testConfig = {
  providers: { chatgptfree: { pages: [] } },
  server: { shutdown_grace_ms: 2000, header_timeout_ms: 5000, idle_timeout_ms: 5000 },
  stream: { commit_hold_ms: 300, keepalive_interval_ms: 150 },
  upstream: { connect_timeout_ms: 2000, request_timeout_ms: 5000, idle_timeout_ms: 5000 },
};

// Sanitizer builds report through these; pass them on so a finding fails the test.
const sanitizerEnv = Object.fromEntries(['ASAN_OPTIONS', 'UBSAN_OPTIONS', 'LSAN_OPTIONS']
  .filter((k) => process.env[k] !== undefined).map((k) => [k, process.env[k]]));

/// Starts the gateway in a scratch directory. `env` adds to a clean environment; `config`
/// overrides testConfig section by section (a list, such as `models`, replaces the default); pass the `dir` of an earlier gateway to restart it
/// on the same data; `wrap` is a command line to run the binary under (e.g. prlimit).
export async function startGateway({ emulator, env = {}, config = {}, args = [], dotenv, threads = 2, dir, wrap = [] } = {}) {
  dir ??= scratchDir('switchyard-e2e-');
  const defaults = JSON.parse(readFileSync(join(repoRoot, 'config/switchyard.json'), 'utf8'));
  const merged = { ...defaults };
  for (const layer of [testConfig, config]) {
    for (const [k, v] of Object.entries(layer)) merged[k] = Array.isArray(v) ? v : { ...(merged[k] || {}), ...v };
  }
  writeFileSync(join(dir, 'switchyard.json'), JSON.stringify(merged));
  if (dotenv !== undefined) writeFileSync(join(dir, '.env'), dotenv);
  const fullEnv = {
    PATH: process.env.PATH,
    ...sanitizerEnv,
    API_MASTER_KEY: API_KEY,
    FLOWGPT_BEARER_TOKEN: FLOWGPT_TOKEN,
    FLOWGPT_DEVICE_ID: DEVICE_ID,
    LOG_LEVEL: 'warn',
    // Every upstream is on this machine: the emulator, or a port where nothing listens.
    ...(emulator ? { FLOWGPT_BASE_URL: emulator.url, CHATGPTFREE_BASE_URL: emulator.url } : { CHATGPTFREE_BASE_URL: 'http://127.0.0.1:9' }),
    ...env,
  };
  for (const [k, v] of Object.entries(fullEnv)) if (v === undefined) delete fullEnv[k];
  const argv = [gatewayBin, '--listen', '127.0.0.1:0', '--threads', String(threads), '--config', join(dir, 'switchyard.json'), ...args];
  const [cmd, ...cmdArgs] = [...wrap, ...argv];
  const proc = track(spawn(cmd, cmdArgs, { cwd: dir, env: fullEnv, stdio: ['ignore', 'pipe', 'pipe'] }));
  const [, port] = await waitForLine(proc, /switchyard listening on http:\/\/127\.0\.0\.1:(\d+)/, 'gateway');
  const url = `http://127.0.0.1:${port}`;
  return { url, port: Number(port), proc, dir, stop: async (signal = 'SIGTERM') => { proc.kill(signal); return proc.exited; } };
}

/// Runs the gateway binary to completion (for start-up failures).
export function runGateway(args, env = {}) {
  return new Promise((r) => {
    const proc = spawn(gatewayBin, args, { env: { PATH: process.env.PATH, ...sanitizerEnv, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    proc.stdout.on('data', (c) => { out += c; });
    proc.stderr.on('data', (c) => { out += c; });
    const timer = setTimeout(() => proc.kill('SIGKILL'), 5000);
    proc.on('exit', (code) => { clearTimeout(timer); r({ code, out }); });
  });
}

/// A raw HTTP exchange that keeps the exact response bytes.
export function rawRequest(url, { method = 'POST', path = '/v1/chat/completions', headers = {}, body } = {}) {
  return new Promise((resolveReq, reject) => {
    const u = new URL(path, url);
    const req = http.request(u, { method, headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json', ...headers } }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolveReq({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    if (body !== undefined) req.write(typeof body === 'string' ? body : JSON.stringify(body));
    req.end();
  });
}

export function chat(url, body, headers = {}) {
  return rawRequest(url, { body: { model: 'default', ...body }, headers });
}

export const user = (content) => [{ role: 'user', content }];

/// An emulator scenario fails one message, where a real upstream would have failed the credential,
/// which then cools down or counts towards dead. Tests that provoke such failures one after
/// another on one gateway reset the credentials to healthy, as an operator can. Returns the
/// credentials that were not healthy.
export async function reviveCredentials(url) {
  const list = JSON.parse((await rawRequest(url, { method: 'GET', path: '/admin/credentials' })).body).data;
  const revived = [];
  for (const c of list) {
    if (c.state === 'healthy') continue;
    const r = await rawRequest(url, { path: `/admin/credentials/${c.id}/reset` });
    if (r.status !== 200) throw new Error(`reset of ${c.id}: ${r.body}`);
    revived.push(c);
  }
  return revived;
}

/// Splits an SSE body into events and checks the framing rules of openai-contract.md §1.2.
export function parseSse(body) {
  const events = [];
  const comments = [];
  for (const block of body.split('\n\n')) {
    if (block === '') continue;
    for (const line of block.split('\n')) {
      if (line === '') continue;
      if (line.startsWith(': ')) { comments.push(line); continue; }
      if (!line.startsWith('data: ')) throw new Error(`not a data line: ${JSON.stringify(line)}`);
      events.push(line.slice(6));
    }
  }
  return { events, comments, json: events.filter((e) => e !== '[DONE]').map((e) => JSON.parse(e)) };
}

export function contentOf(chunks) {
  return chunks.map((c) => c.choices?.[0]?.delta?.content ?? '').join('');
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
