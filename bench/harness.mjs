// The benchmark behind bench/run: the same upstream (the emulator's OpenAI mode) measured
// directly and through switchyard, nginx and Portkey, interleaved within each round.
// Usage: node bench/harness.mjs [--quick|--smoke] [--build-dir DIR]
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, readFileSync, mkdirSync, statSync } from 'node:fs';
import { tmpdir, cpus, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import net from 'node:net';

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = resolve(here, '..');
const argv = process.argv.slice(2);
const flag = (name) => argv.includes(name);
const option = (name, fallback) => { const i = argv.indexOf(name); return i >= 0 ? argv[i + 1] : fallback; };

const PROFILES = {
  // streams: [concurrent streams, ms between chunks]. 1k streams get a realistic 20 tokens/s;
  // 9k streams get 2 tokens/s, the same aggregate chunk rate, which is what two cores can
  // generate, relay and consume at once (see bench/README.md).
  // web: seconds of wrk per FlowGPT/AIPKit workload; held: open streams per provider (the
  // last size is the one reported as KB per stream); scaling: open openai streams, RSS per size.
  full: { rounds: 3, warmup: 2, throughput: 10, latency: 10, rates: [1000, 5000, 10000], streams: [[1000, 50], [9000, 500]], streamRounds: 3, chunks: 200, starts: 5,
    web: 10, held: 9000, scaling: [1000, 3000, 6000, 9000] },
  quick: { rounds: 3, warmup: 1, throughput: 3, latency: 3, rates: [1000, 5000, 10000], streams: [[1000, 50], [9000, 500]], streamRounds: 1, chunks: 200, starts: 3,
    web: 4, held: 9000, scaling: [1000, 3000, 6000, 9000] },
  smoke: { rounds: 1, warmup: 0, throughput: 1, latency: 1, rates: [200, 500], streams: [[20, 5]], streamRounds: 1, chunks: 20, starts: 1,
    web: 1, held: 20, scaling: [10, 20] },
};
// FlowGPT and AIPKit answers in the web workloads: 60 NDJSON lines, 60 SSE deltas.
const WEB_CHUNKS = 60;
const FLOW_TOKEN = 'flowgpt-bench-token';
const DEVICE_ID = 'AbCdEfGhIjKlMnOpQrStU';
const WEB_MODELS = { flow: 'gpt-4-free', aip: 'gpt-4o-mini' };
const profileName = flag('--smoke') ? 'smoke' : flag('--quick') ? 'quick' : 'full';
const P = PROFILES[profileName];
const buildDir = resolve(repoRoot, option('--build-dir', 'build-bench'));
const bin = (name) => join(buildDir, name);
const work = mkdtempSync(join(tmpdir(), 'switchyard-bench-'));
const API_KEY = 'sk-bench-0123456789';
const SYSTEMS = ['direct', 'switchyard', 'nginx', 'portkey'];
// The load generator and the upstream share core 0; the system under test has core 1 to itself.
const nCpu = cpus().length;
const LOAD_CPU = '0';
const SUT_CPU = nCpu > 1 ? '1' : '0';

const log = (...a) => console.error(...a);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const median = (xs) => { const v = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b); return v.length ? v[Math.floor((v.length - 1) / 2)] : NaN; };

// ---------------------------------------------------------------- processes
// Every process runs in a process group of its own and is killed with its group, so nginx's
// worker goes with its master even when the run is interrupted.
const running = new Set();
const signalGroup = (proc, signal) => { try { process.kill(-proc.pid, signal); } catch {} };
const killAll = () => { for (const p of running) signalGroup(p, 'SIGKILL'); };
process.on('exit', killAll);
for (const s of ['SIGINT', 'SIGTERM']) process.on(s, () => { killAll(); process.exit(130); });

function launch(cmd, args, { cpu = SUT_CPU, env = process.env, cwd = work } = {}) {
  const proc = spawn('taskset', ['-c', cpu, cmd, ...args], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  running.add(proc);
  proc.output = '';
  proc.stdout.on('data', (c) => { proc.output = (proc.output + c).slice(-20000); });
  proc.stderr.on('data', (c) => { proc.output = (proc.output + c).slice(-20000); });
  proc.exited = new Promise((r) => proc.on('exit', (code, signal) => { running.delete(proc); r({ code, signal }); }));
  return proc;
}

async function stop(proc) {
  if (!running.has(proc)) return;
  signalGroup(proc, 'SIGTERM');
  const t = setTimeout(() => signalGroup(proc, 'SIGKILL'), 5000);
  await proc.exited;
  clearTimeout(t);
  signalGroup(proc, 'SIGKILL'); // whatever of the group outlived its leader
}

function run(cmd, args, { cpu = LOAD_CPU, timeoutMs = 600000 } = {}) {
  return new Promise((resolveRun) => {
    const proc = spawn('taskset', ['-c', cpu, cmd, ...args], { cwd: work, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    running.add(proc);
    let out = '', err = '';
    proc.stdout.on('data', (c) => { out += c; });
    proc.stderr.on('data', (c) => { err += c; });
    const t = setTimeout(() => signalGroup(proc, 'SIGKILL'), timeoutMs);
    proc.on('exit', (code) => { clearTimeout(t); running.delete(proc); resolveRun({ code, out, err }); });
  });
}

function freePort() {
  return new Promise((r, reject) => {
    const srv = net.createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => { const { port } = srv.address(); srv.close(() => r(port)); });
  });
}

/// Answers once something accepts a TCP connection and returns an HTTP status line on `port`.
async function waitForHttp(port, path, proc, timeoutMs = 15000) {
  const began = performance.now();
  while (performance.now() - began < timeoutMs) {
    if (!running.has(proc)) throw new Error(`exited before answering on port ${port}: ${proc.output}`);
    const ok = await new Promise((r) => {
      const s = net.connect(port, '127.0.0.1');
      s.on('connect', () => s.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`));
      s.on('data', (d) => { r(d.toString().startsWith('HTTP/1.1 ')); s.destroy(); });
      s.on('error', () => r(false));
    });
    if (ok) return performance.now() - began;
    await sleep(1);
  }
  throw new Error(`nothing answered on port ${port} within ${timeoutMs} ms`);
}

// /proc readings for a process and its children (nginx works in a child of its master).
function treePids(pid) {
  const pids = [pid];
  try {
    for (const entry of execFileSync('ps', ['-o', 'pid=', '--ppid', String(pid)]).toString().split('\n'))
      if (entry.trim()) pids.push(Number(entry.trim()));
  } catch {}
  return pids;
}
const TICK_US = 1e6 / Number(execFileSync('getconf', ['CLK_TCK']).toString().trim());
/// CPU time used so far, in µs: { user, sys, total }.
function cpuUs(pids) {
  let user = 0, sys = 0;
  for (const pid of pids) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      user += Number(fields[11]) * TICK_US;
      sys += Number(fields[12]) * TICK_US;
    } catch {}
  }
  return { user, sys, total: user + sys };
}
const cpuSince = (pids, before) => { const now = cpuUs(pids); return { user: now.user - before.user, sys: now.sys - before.sys, total: now.total - before.total }; };
function rssKb(pids) {
  let kb = 0;
  for (const pid of pids) {
    try { kb += Number(readFileSync(`/proc/${pid}/status`, 'utf8').match(/VmRSS:\s+(\d+)/)[1]); } catch {}
  }
  return kb;
}

// ---------------------------------------------------------------- the systems
const ports = {};
const procs = {};

// One emulator answers non-streaming requests; one per stream size streams at that size's pace.
// `hold` streams 20 chunks 500 ms apart, for the RSS-per-open-stream curve.
const UPSTREAMS = [{ name: 'fast', args: ['--openai-tokens', '20'] },
  ...P.streams.map(([n, pace]) => ({ name: `paced${n}`, args: ['--openai-tokens', String(P.chunks), '--openai-token-delay-ms', String(pace)] })),
  { name: 'hold', args: ['--openai-tokens', '20', '--openai-token-delay-ms', '500'] }];
const upstreamFor = (n) => (n ? `paced${n}` : 'fast');
// FlowGPT and AIPKit, for switchyard alone (nginx and Portkey cannot speak them). A request whose
// text says [scenario:slow] is answered at 200 ms per chunk, which holds its stream open.
const WEB = { name: 'web', args: ['--answer-chunks', String(WEB_CHUNKS), '--tokens', FLOW_TOKEN, '--device-id', DEVICE_ID] };

async function startEmulators() {
  for (const u of [...UPSTREAMS, WEB]) {
    ports[u.name] = await freePort();
    procs[u.name] = launch(bin('switchyard-emulator'), ['--listen', `127.0.0.1:${ports[u.name]}`, '--no-event-log', ...u.args], { cpu: LOAD_CPU });
    await waitForHttp(ports[u.name], '/_emulator/health', procs[u.name]);
  }
}

function switchyardConfig() {
  const file = join(work, 'switchyard.json');
  writeFileSync(file, JSON.stringify({
    server: { max_connections: 20000 },
    providers: {
      openai: UPSTREAMS.map((u) => ({ name: u.name, base_url: `http://127.0.0.1:${ports[u.name]}/v1`, api_keys: ['sk-upstream'],
        models: ['emu-small'], ...(u.name === 'fast' ? {} : { prefix: `${u.name}/` }) })),
    },
    upstream: { pool_max_idle_per_host: 256 },
    conversations: { store: 'memory' },
  }));
  return file;
}

// The default log level (info: one access-log line per request), as users run it.
async function startSwitchyard({ threads = 1, cpu = SUT_CPU } = {}) {
  ports.switchyard = await freePort();
  const web = `http://127.0.0.1:${ports.web}`;
  const env = { PATH: process.env.PATH, API_MASTER_KEY: API_KEY, FLOWGPT_BEARER_TOKEN: FLOW_TOKEN, FLOWGPT_DEVICE_ID: DEVICE_ID,
    FLOWGPT_BASE_URL: web, CHATGPTFREE_BASE_URL: web };
  writeFileSync(join(work, 'empty.env'), '');
  procs.switchyard = launch(bin('switchyard'), ['--listen', `127.0.0.1:${ports.switchyard}`, '--threads', String(threads),
    '--config', switchyardConfig(), '--env-file', join(work, 'empty.env')], { env, cpu });
  return waitForHttp(ports.switchyard, '/healthz', procs.switchyard);
}

function nginxConfig() {
  const dir = join(work, 'nginx');
  mkdirSync(dir, { recursive: true });
  const proxied = (port, upstream) => `
    server {
      listen 127.0.0.1:${port} backlog=16384;
      location / {
        proxy_pass http://${upstream};
        proxy_http_version 1.1;
        proxy_set_header Connection "";
        proxy_buffering off;
      }
    }`;
  writeFileSync(join(dir, 'nginx.conf'), `
worker_processes 1;
worker_rlimit_nofile 20000;
daemon off;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 20000; }
http {
  access_log off;
  keepalive_requests 1000000; # the default (1000) closes client connections that load generators reuse
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  ${UPSTREAMS.map((u) => `upstream ${u.name} { server 127.0.0.1:${ports[u.name]}; keepalive 256; }`).join('\n  ')}
  ${UPSTREAMS.map((u) => proxied(ports[`nginx_${u.name}`], u.name)).join('\n')}
}
`);
  return dir;
}

async function startNginx() {
  for (const u of UPSTREAMS) ports[`nginx_${u.name}`] = await freePort();
  const dir = nginxConfig();
  procs.nginx = launch('nginx', ['-p', dir, '-c', join(dir, 'nginx.conf')]);
  return waitForHttp(ports.nginx_fast, '/_emulator/health', procs.nginx);
}

// Portkey listens on every interface; a preloaded module pins its server to loopback.
const portkeyEntry = join(here, 'node_modules/@portkey-ai/gateway/build/start-server.js');
async function startPortkey() {
  ports.portkey = await freePort();
  const loopback = join(work, 'loopback.mjs');
  writeFileSync(loopback, `import net from 'node:net';
const listen = net.Server.prototype.listen;
net.Server.prototype.listen = function (...a) {
  if (typeof a[0] === 'number') return listen.call(this, a[0], '127.0.0.1', ...a.slice(typeof a[1] === 'string' ? 2 : 1));
  if (a[0] && typeof a[0] === 'object' && a[0].port !== undefined) return listen.call(this, { ...a[0], host: '127.0.0.1' }, ...a.slice(1));
  return listen.apply(this, a);
};
`);
  procs.portkey = launch(process.execPath, ['--import', loopback, portkeyEntry, `--port=${ports.portkey}`, '--headless'],
    { env: { PATH: process.env.PATH, NODE_ENV: 'production' } });
  return waitForHttp(ports.portkey, '/', procs.portkey);
}

/// What a load generator needs to reach a system: port, extra headers, model name and the
/// processes whose CPU counts. `streams` picks the paced upstream of that stream size.
function target(system, streams = 0) {
  const up = upstreamFor(streams);
  switch (system) {
    case 'direct': return { port: ports[up], headers: ['Authorization: Bearer sk-upstream'], model: 'emu-small', pids: [procs[up].pid] };
    case 'switchyard': return { port: ports.switchyard, headers: [`Authorization: Bearer ${API_KEY}`], model: streams ? `${up}/emu-small` : 'emu-small', pids: [procs.switchyard.pid] };
    case 'nginx': return { port: ports[`nginx_${up}`], headers: ['Authorization: Bearer sk-upstream'], model: 'emu-small', pids: treePids(procs.nginx.pid) };
    case 'portkey': return { port: ports.portkey, headers: ['Authorization: Bearer sk-upstream', 'x-portkey-provider: openai', `x-portkey-custom-host: http://127.0.0.1:${ports[up]}/v1`], model: 'emu-small', pids: [procs.portkey.pid] };
  }
}
const CHAT_PATH = '/v1/chat/completions';

function bodyFile(model, stream, text = 'Say hello to the benchmark.') {
  const file = join(work, `body-${model.replace(/\W/g, '_')}-${stream ? 'stream' : 'plain'}-${text.length}.json`);
  writeFileSync(file, JSON.stringify({ model, messages: [{ role: 'user', content: text }], ...(stream ? { stream: true } : {}) }));
  return file;
}

// ---------------------------------------------------------------- workloads
async function throughput(system, seconds, { t = target(system), body = bodyFile(t.model, false), connections = 64 } = {}) {
  const script = join(work, `wrk-${system}-${connections}.lua`);
  writeFileSync(script, `wrk.method = "POST"\nwrk.body = ${JSON.stringify(readFileSync(body, 'utf8'))}\nwrk.headers["Content-Type"] = "application/json"\n`);
  const args = ['-t1', `-c${connections}`, `-d${seconds}s`, '-s', script, ...t.headers.flatMap((h) => ['-H', h]), `http://127.0.0.1:${t.port}${CHAT_PATH}`];
  const cpu0 = cpuUs(t.pids);
  const r = await run('wrk', args);
  const cpu = cpuSince(t.pids, cpu0);
  const requests = Number((r.out.match(/(\d+) requests in/) || [])[1] || 0);
  const rps = Number((r.out.match(/Requests\/sec:\s+([\d.]+)/) || [])[1] || 0);
  const non2xx = Number((r.out.match(/Non-2xx or 3xx responses: (\d+)/) || [])[1] || 0);
  const sockErr = (r.out.match(/Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/) || []).slice(1).reduce((a, b) => a + Number(b), 0);
  return { rps, requests, errors: non2xx + sockErr, cpu_us_per_req: requests ? cpu.total / requests : NaN,
    user_us_per_req: requests ? cpu.user / requests : NaN };
}

async function fixedRate(system, rate, seconds) {
  const t = target(system);
  // One keep-alive connection per 1k RPS, schedules staggered; latency counts from each
  // request's scheduled time (bench/load.cpp).
  const r = await run(bin('switchyard-load'), ['--mode', 'rate', '--port', String(t.port), '--path', CHAT_PATH,
    '--body-file', bodyFile(t.model, false), ...t.headers.flatMap((h) => ['--header', h]), '--rate', String(rate),
    '--connections', String(Math.max(1, Math.ceil(rate / 1000))), '--duration-s', String(seconds), '--warmup-s', String(Math.max(1, P.warmup))],
  { timeoutMs: (seconds + 60) * 1000 });
  let out;
  try { out = JSON.parse(r.out.trim().split('\n').pop()); } catch { out = { requests: 0, errors: 1, achieved_rps: 0, latency_us: {} }; }
  return { rate, achieved: out.achieved_rps, requests: out.requests, errors: out.errors, kept_up: out.errors === 0 && out.achieved_rps >= 0.95 * rate,
    p50_us: out.latency_us.p50 ?? NaN, p99_us: out.latency_us.p99 ?? NaN, p999_us: out.latency_us.p999 ?? NaN };
}

async function streaming(system, n, paceMs, { t = target(system, n), body = bodyFile(t.model, true), chunks = P.chunks, expectEvents = P.chunks } = {}) {
  const pids = t.pids;
  const cpu0 = cpuUs(pids);
  const base = rssKb(pids);
  let peak = base;
  const sampler = setInterval(() => { peak = Math.max(peak, rssKb(pids)); }, 50);
  const ramp = Math.min(3000, n); // about 3 connections per ms
  const streamSeconds = (chunks * paceMs + ramp) / 1000;
  const r = await run(bin('switchyard-load'), ['--mode', 'stream', '--port', String(t.port), '--path', CHAT_PATH, '--body-file', body,
    ...t.headers.flatMap((h) => ['--header', h]), '--streams', String(n), '--ramp-ms', String(ramp), '--expect-events', String(expectEvents),
    '--timeout-s', String(Math.ceil(streamSeconds * 3 + 30))]);
  clearInterval(sampler);
  peak = Math.max(peak, rssKb(pids));
  let out;
  try { out = JSON.parse(r.out.trim().split('\n').pop()); } catch { out = { completed: 0, failed: n, failures: { [`load client: ${r.err.slice(0, 200)}`]: n } }; }
  const cpu = cpuSince(pids, cpu0);
  return { streams: n, completed: out.completed, failed: out.failed, failures: out.failures, max_open: out.max_open,
    ttfb_p50_us: out.ttfb_us?.p50 ?? NaN, ttfb_p99_us: out.ttfb_us?.p99 ?? NaN, ttft_p50_us: out.ttft_us?.p50 ?? NaN, ttft_p99_us: out.ttft_us?.p99 ?? NaN, chunks_per_s: out.events_per_s, events: out.events,
    peak_rss_mb: peak / 1024, kb_per_stream: (peak - base) / n, cpu_us_per_chunk: out.events ? cpu.total / out.events : NaN,
    user_us_per_chunk: out.events ? cpu.user / out.events : NaN };
}

async function restart(system) {
  await stop(procs[system]);
  await { switchyard: startSwitchyard, nginx: startNginx, portkey: startPortkey }[system]();
}

// ---------------------------------------------------------------- cost
async function startupTimes(times) {
  const result = {};
  for (const system of ['switchyard', 'nginx', 'portkey']) {
    const samples = [];
    for (let i = 0; i < times; i++) {
      const starter = { switchyard: startSwitchyard, nginx: startNginx, portkey: startPortkey }[system];
      samples.push(await starter());
      await stop(procs[system]);
    }
    result[system] = median(samples);
  }
  return result;
}

function sizes() {
  const stripped = join(work, 'switchyard.stripped');
  execFileSync('strip', ['-o', stripped, bin('switchyard')]);
  const nginxPath = execFileSync('sh', ['-c', 'command -v nginx']).toString().trim();
  const portkeyDir = join(here, 'node_modules');
  return {
    switchyard_stripped_bytes: statSync(stripped).size,
    nginx_bytes: statSync(nginxPath).size,
    portkey_node_modules_bytes: Number(execFileSync('du', ['-sb', portkeyDir]).toString().split('\t')[0]),
    node_bytes: statSync(process.execPath).size,
  };
}

// ---------------------------------------------------------------- the run
const rotate = (xs, k) => xs.map((_, i) => xs[(i + k) % xs.length]);

function machine() {
  const version = (cmd, args) => { try { return execFileSync(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] }).toString().trim().split('\n')[0]; } catch (e) { return (e.stderr || '').toString().trim().split('\n')[0]; } };
  return {
    cpu: cpus()[0]?.model, cores: nCpu, memory_gb: Math.round(totalmem() / 2 ** 30),
    kernel: version('uname', ['-r']), nofile_limit: Number(version('sh', ['-c', 'ulimit -n'])),
    nginx: version('nginx', ['-v']), node: process.version, wrk: version('sh', ['-c', 'wrk -v 2>&1 | head -1']),
    portkey: JSON.parse(readFileSync(join(here, 'node_modules/@portkey-ai/gateway/package.json'), 'utf8')).version,
  };
}

function fmt(x, digits = 0) { return Number.isFinite(x) ? x.toFixed(digits) : '-'; }
function table(title, header, rows) {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
  const line = (cells) => cells.map((c, i) => String(c).padStart(widths[i])).join('  ');
  console.log(`\n${title}\n${line(header)}\n${widths.map((w) => '-'.repeat(w)).join('  ')}\n${rows.map(line).join('\n')}`);
}

async function main() {
  log(`bench profile ${profileName}; scratch ${work}`);
  const result = { profile: profileName, started: new Date().toISOString(), machine: machine(), settings: P, pinning: { load_and_upstream_cpu: LOAD_CPU, system_cpu: SUT_CPU } };
  await startEmulators();

  log('cost: start-up times and sizes');
  result.startup_ms = await startupTimes(P.starts);
  result.sizes = sizes();
  await startSwitchyard(); await startNginx(); await startPortkey();
  await sleep(1000);
  result.idle_rss_mb = { switchyard: rssKb([procs.switchyard.pid]) / 1024, nginx: rssKb(treePids(procs.nginx.pid)) / 1024, portkey: rssKb([procs.portkey.pid]) / 1024 };

  log('warm-up');
  for (const s of SYSTEMS) await throughput(s, Math.max(1, P.warmup));

  const rounds = { throughput: [], latency: [], streaming: [] };
  for (let round = 0; round < P.rounds; round++) {
    const order = rotate(SYSTEMS, round);
    log(`round ${round + 1}/${P.rounds}: throughput`);
    const tp = {};
    for (const s of order) tp[s] = await throughput(s, P.throughput);
    rounds.throughput.push(tp);
    for (const rate of P.rates) {
      log(`round ${round + 1}/${P.rounds}: ${rate} RPS`);
      const lat = { rate };
      for (const s of order) lat[s] = await fixedRate(s, rate, P.latency);
      rounds.latency.push(lat);
    }
  }

  let portkeyStreamsFailed = false;
  for (let round = 0; round < P.streamRounds; round++) {
    for (const [n, pace] of P.streams) {
      log(`round ${round + 1}/${P.streamRounds}: ${n} streams, a chunk every ${pace} ms`);
      const st = { streams: n, pace_ms: pace };
      for (const s of rotate(SYSTEMS, round)) {
        if (s === 'portkey' && portkeyStreamsFailed && n > P.streams[0][0]) { st[s] = { streams: n, skipped: 'failed at a smaller size' }; continue; }
        if (s !== 'direct') await restart(s); // peak RSS is this run's, not an earlier one's
        st[s] = await streaming(s, n, pace);
        if (s === 'portkey' && st[s].completed < n) portkeyStreamsFailed = true;
        await sleep(500);
      }
      rounds.streaming.push(st);
    }
  }
  result.rounds = rounds;

  // The web chat paths (switchyard only): CPU per request with 16 connections, then memory per
  // open stream for every provider, and how it grows with the number of streams.
  const sy = (model) => ({ port: ports.switchyard, headers: [`Authorization: Bearer ${API_KEY}`], model, pids: [procs.switchyard.pid] });
  result.web = {};
  for (const [name, kind, stream] of [['flow_ns', 'flow', false], ['flow_stream', 'flow', true], ['aip_stream', 'aip', true]]) {
    log(`web: ${name}, ${P.rounds} x ${P.web} s`);
    const opts = { t: sy(WEB_MODELS[kind]), body: bodyFile(WEB_MODELS[kind], stream), connections: 16 };
    await throughput('switchyard', 1, opts);
    const rs = [];
    for (let round = 0; round < P.rounds; round++) rs.push(await throughput('switchyard', P.web, opts));
    result.web[name] = { rps: median(rs.map((r) => r.rps)), cpu_us_per_req: median(rs.map((r) => r.cpu_us_per_req)),
      user_us_per_req: median(rs.map((r) => r.user_us_per_req)), errors: rs.reduce((a, r) => a + r.errors, 0), rounds: rs };
  }
  const held = async (kind, n) => {
    await restart('switchyard');
    await sleep(300);
    const model = kind === 'openai' ? 'hold/emu-small' : WEB_MODELS[kind];
    const text = kind === 'openai' ? 'hold' : '[scenario:slow] hold';
    return streaming('switchyard', n, kind === 'openai' ? 500 : 200, { t: sy(model), body: bodyFile(model, true, text),
      chunks: kind === 'openai' ? 20 : WEB_CHUNKS, expectEvents: kind === 'openai' ? 20 : 5 });
  };
  result.scaling = [];
  for (const n of P.scaling) {
    log(`scaling: ${n} open openai streams`);
    result.scaling.push(await held('openai', n));
  }
  result.held = { openai: result.scaling.find((r) => r.streams === P.held) ?? await held('openai', P.held) };
  for (const kind of ['flow', 'aip']) {
    log(`held: ${P.held} open ${kind} streams`);
    result.held[kind] = await held(kind, P.held);
  }
  // Worker threads: both runs may use both cores (the load generator too), so they compare with
  // each other, not with the pinned rows above.
  result.threads = {};
  for (const threads of [1, 2]) {
    log(`threads: ${threads}`);
    await stop(procs.switchyard);
    await startSwitchyard({ threads, cpu: nCpu > 1 ? '0,1' : '0' });
    await throughput('switchyard', 1);
    result.threads[threads] = await throughput('switchyard', P.throughput);
  }
  await restart('switchyard');

  // Medians over rounds.
  const med = (list, pick) => median(list.map(pick));
  result.throughput = Object.fromEntries(SYSTEMS.map((s) => [s, {
    rps: med(rounds.throughput, (r) => r[s].rps), cpu_us_per_req: med(rounds.throughput, (r) => r[s].cpu_us_per_req),
    user_us_per_req: med(rounds.throughput, (r) => r[s].user_us_per_req),
    errors: rounds.throughput.reduce((a, r) => a + r[s].errors, 0) }]));
  result.latency = P.rates.map((rate) => {
    const rs = rounds.latency.filter((r) => r.rate === rate);
    const row = { rate };
    for (const s of SYSTEMS) {
      row[s] = { achieved: med(rs, (r) => r[s].achieved), kept_up: rs.every((r) => r[s].kept_up), errors: rs.reduce((a, r) => a + r[s].errors, 0),
        p50_us: med(rs, (r) => r[s].p50_us), p99_us: med(rs, (r) => r[s].p99_us), p999_us: med(rs, (r) => r[s].p999_us) };
      if (s !== 'direct') for (const p of ['p50', 'p99', 'p999'])
        row[s][`${p}_overhead_us`] = med(rs, (r) => r[s][`${p}_us`] - r.direct[`${p}_us`]);
    }
    return row;
  });
  result.streaming = P.streams.map(([n, pace]) => {
    const rs = rounds.streaming.filter((r) => r.streams === n);
    const row = { streams: n, pace_ms: pace };
    for (const s of SYSTEMS) {
      const runs = rs.map((r) => r[s]).filter((x) => x && !x.skipped);
      row[s] = runs.length === 0 ? { skipped: rs[0]?.[s]?.skipped } : {
        completed: median(runs.map((x) => x.completed)), all_completed: runs.every((x) => x.completed === n),
        failures: runs.find((x) => x.completed < n)?.failures, max_open: median(runs.map((x) => x.max_open)),
        ttfb_p50_us: median(runs.map((x) => x.ttfb_p50_us)), ttfb_p99_us: median(runs.map((x) => x.ttfb_p99_us)),
        ttft_p50_us: median(runs.map((x) => x.ttft_p50_us)), ttft_p99_us: median(runs.map((x) => x.ttft_p99_us)),
        chunks_per_s: median(runs.map((x) => x.chunks_per_s)), peak_rss_mb: median(runs.map((x) => x.peak_rss_mb)),
        cpu_us_per_chunk: median(runs.map((x) => x.cpu_us_per_chunk)), user_us_per_chunk: median(runs.map((x) => x.user_us_per_chunk)) };
    }
    return row;
  });

  // Report.
  table('Max throughput, non-streaming, 64 connections (median of rounds)', ['system', 'req/s', 'CPU µs/req', 'of which user', 'errors'],
    SYSTEMS.map((s) => [s, fmt(result.throughput[s].rps), fmt(result.throughput[s].cpu_us_per_req, 1), fmt(result.throughput[s].user_us_per_req, 1), result.throughput[s].errors]));
  for (const row of result.latency)
    table(`Fixed rate ${row.rate} RPS: latency µs (overhead = system − direct, per round, median)`, ['system', 'achieved', 'p50', 'p99', 'p99.9', '+p50', '+p99', '+p99.9', 'kept up'],
      SYSTEMS.map((s) => [s, fmt(row[s].achieved), fmt(row[s].p50_us), fmt(row[s].p99_us), fmt(row[s].p999_us),
        fmt(row[s].p50_overhead_us), fmt(row[s].p99_overhead_us), fmt(row[s].p999_overhead_us), row[s].kept_up ? 'yes' : `no (${row[s].errors} errors)`]));
  for (const row of result.streaming)
    table(`Streaming: ${row.streams} concurrent streams x ${P.chunks} chunks, ${row.pace_ms} ms apart`, ['system', 'completed', 'TTFB p50 µs', 'TTFT p50 µs', 'TTFT p99 µs', 'chunks/s', 'peak RSS MB', 'CPU µs/chunk', 'of which user'],
      SYSTEMS.map((s) => row[s].skipped ? [s, `skipped: ${row[s].skipped}`, '', '', '', '', '', '', ''] : [s, `${row[s].completed}/${row.streams}`, fmt(row[s].ttfb_p50_us), fmt(row[s].ttft_p50_us), fmt(row[s].ttft_p99_us),
        fmt(row[s].chunks_per_s), s === 'direct' ? '-' : fmt(row[s].peak_rss_mb, 1), fmt(row[s].cpu_us_per_chunk, 2), fmt(row[s].user_us_per_chunk, 2)]));
  table('Cost', ['system', 'idle RSS MB', 'start-up ms', 'size'], [
    ['switchyard', fmt(result.idle_rss_mb.switchyard, 1), fmt(result.startup_ms.switchyard, 1), `${fmt(result.sizes.switchyard_stripped_bytes / 1e6, 2)} MB stripped`],
    ['nginx', fmt(result.idle_rss_mb.nginx, 1), fmt(result.startup_ms.nginx, 1), `${fmt(result.sizes.nginx_bytes / 1e6, 2)} MB`],
    ['portkey', fmt(result.idle_rss_mb.portkey, 1), fmt(result.startup_ms.portkey, 1), `${fmt(result.sizes.portkey_node_modules_bytes / 1e6, 1)} MB node_modules + ${fmt(result.sizes.node_bytes / 1e6, 1)} MB node`],
  ]);
  table(`FlowGPT and AIPKit through switchyard, ${WEB_CHUNKS} chunks an answer, 16 connections (median of rounds)`, ['workload', 'req/s', 'CPU µs/req', 'of which user', 'errors'],
    Object.entries(result.web).map(([name, w]) => [name, fmt(w.rps), fmt(w.cpu_us_per_req, 1), fmt(w.user_us_per_req, 1), w.errors]));
  table('Open streams through switchyard, by provider', ['provider', 'completed', 'peak RSS MB', 'KB per stream', 'CPU µs/chunk'],
    Object.entries(result.held).map(([kind, h]) => [kind, `${h.completed}/${h.streams}`, fmt(h.peak_rss_mb, 1), fmt(h.kb_per_stream, 1), fmt(h.cpu_us_per_chunk, 2)]));
  table('RSS by open openai streams (20 chunks, 500 ms apart)', ['streams', 'completed', 'peak RSS MB', 'KB per stream'],
    result.scaling.map((h) => [h.streams, `${h.completed}/${h.streams}`, fmt(h.peak_rss_mb, 1), fmt(h.kb_per_stream, 1)]));
  table('Worker threads (unpinned: the gateway and the load share both cores)', ['threads', 'req/s', 'CPU µs/req', 'errors'],
    Object.entries(result.threads).map(([n, r]) => [n, fmt(r.rps), fmt(r.cpu_us_per_req, 1), r.errors]));
  const failures = (s) => result.streaming.flatMap((r) => r[s].failures ? [`${r.streams}: ${JSON.stringify(r[s].failures)}`] : []);
  for (const s of SYSTEMS) if (failures(s).length) console.log(`\n${s} stream failures: ${failures(s).join('; ')}`);

  const mid = result.latency.find((r) => r.rate === 5000) || result.latency[result.latency.length - 1];
  const okStreams = result.streaming.filter((r) => r.switchyard.all_completed).pop();
  result.summary = {
    rps_vs_nginx: result.throughput.switchyard.rps / result.throughput.nginx.rps,
    rps_vs_portkey: result.throughput.switchyard.rps / result.throughput.portkey.rps,
    p50_overhead_us: mid.switchyard.p50_overhead_us, p99_overhead_us: mid.switchyard.p99_overhead_us,
    streams: okStreams ? okStreams.streams : 0, stream_rss_mb: okStreams ? okStreams.switchyard.peak_rss_mb : NaN,
    flow_ns_cpu_us: result.web.flow_ns.cpu_us_per_req, flow_stream_cpu_us: result.web.flow_stream.cpu_us_per_req,
    aip_stream_cpu_us: result.web.aip_stream.cpu_us_per_req,
    // The worst provider; a provider whose streams did not all complete has no number.
    kb_per_stream: Math.max(...Object.values(result.held).map((h) => (h.completed === h.streams ? h.kb_per_stream : NaN))),
  };
  result.finished = new Date().toISOString();
  const outDir = join(here, 'results');
  mkdirSync(outDir, { recursive: true });
  const outFile = join(outDir, `${result.started.replace(/[:.]/g, '-')}-${profileName}.json`);
  writeFileSync(outFile, JSON.stringify(result, null, 2) + '\n');
  console.log(`\nresults: ${outFile}`);
  const S = result.summary;
  console.log(`summary: rps_vs_nginx=${fmt(S.rps_vs_nginx, 2)} rps_vs_portkey=${fmt(S.rps_vs_portkey, 2)} p50_overhead_us=${fmt(S.p50_overhead_us)} p99_overhead_us=${fmt(S.p99_overhead_us)} streams=${S.streams} stream_rss_mb=${fmt(S.stream_rss_mb, 1)} flow_ns_cpu_us=${fmt(S.flow_ns_cpu_us, 1)} flow_stream_cpu_us=${fmt(S.flow_stream_cpu_us, 1)} aip_stream_cpu_us=${fmt(S.aip_stream_cpu_us, 1)} kb_per_stream=${fmt(S.kb_per_stream, 1)}`);
}

main().then(() => { killAll(); process.exit(0); }, (e) => {
  log(`bench failed: ${e.stack || e}`);
  for (const [name, p] of Object.entries(procs)) if (p.output) log(`--- ${name} output (tail)\n${p.output.slice(-2000)}`);
  killAll();
  process.exit(1);
});
