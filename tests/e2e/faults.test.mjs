// Fault injection for issue 8 ("a sound core"): the real gateway in front of hostile.mjs, a
// hostile OpenAI/FlowGPT/AIPKit upstream. Every assertion goes through the front door.
// "finding N" in a test name is the numbering. The comment above each test says whether
// it FAILS or passes on main at 5783450 (a build of that commit); the ones that pass guard fixes.
// Run: SWITCHYARD_BIN=... SWITCHYARD_EMULATOR=... node --test tests/e2e/faults.test.mjs
import { test, before, after, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import http from 'node:http';
import { spawn, execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { API_KEY, gatewayBin, startGateway, parseSse, contentOf, sleep, user, slowLibc, scratchDir } from './harness.mjs';
import { startHostile, closedPort, HTML_MARKER, SECRET_MARKER } from './hostile.mjs';

let H; // the hostile upstream: OpenAI + AIPKit on http, FlowGPT over TLS
let G; // the shared gateway in front of it
const extra = []; // gateways started by single tests, stopped after each

async function startShared() {
  const dead = await closedPort();
  return startGateway({
    env: {
      OPENAI_BASE_URL: `${H.url}/v1`, OPENAI_MODELS: 'hostile', FLOWGPT_BASE_URL: H.tlsUrl, SWITCHYARD_CA_FILE: H.certFile,
      FLOWGPT_SIGNATURE: 'none', CHATGPTFREE_BASE_URL: H.url, SWITCHYARD_STORE: 'memory',
    },
    config: {
      upstream: { connect_timeout_ms: 1000, request_timeout_ms: 800, idle_timeout_ms: 800 },
      providers: {
        openai: [
          { name: 'dead', base_url: `http://127.0.0.1:${dead}/v1`, api_keys: ['sk-dead'], models: ['dead'] },
          { name: 'keyed', base_url: `${H.url}/v1`, api_keys: ['sk-keyed'], models: ['keyed'] },
        ],
      },
    },
  });
}

/// A gateway of its own for one test, in front of `up` (default H); stopped after the test.
async function ownGateway({ up = H, env = {}, config = {}, ...rest } = {}) {
  const gw = await startGateway({
    env: { OPENAI_BASE_URL: `${up.url}/v1`, OPENAI_MODELS: 'hostile', CHATGPTFREE_BASE_URL: up.url, SWITCHYARD_STORE: 'memory', ...env },
    config, ...rest,
  });
  extra.push(gw);
  return gw;
}

before(async () => {
  H = await startHostile({ tls: true });
  G = await startShared();
});
// A finding that kills the shared gateway must not fail every later test with it.
beforeEach(async () => {
  if (G.proc.exitCode !== null || G.proc.signalCode !== null) G = await startShared();
});
after(async () => {
  await Promise.all(extra.map((g) => g.stop()));
  await G?.stop();
  await H?.stop();
});
async function stopExtra() { while (extra.length) await extra.pop().stop(); }
afterEach(stopExtra);

/// One HTTP exchange with a deadline: a hang is a result ({status: 'timeout'}), not a stuck test.
function request(url, { method = 'POST', path = '/v1/chat/completions', headers = {}, body, timeoutMs = 10000 } = {}) {
  const started = Date.now();
  return new Promise((resolve) => {
    const all = { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json', ...headers };
    for (const k of Object.keys(all)) if (all[k] === undefined) delete all[k];
    const req = http.request(new URL(path, url), { method, headers: all }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks).toString('utf8'), ms: Date.now() - started }));
      res.on('error', (e) => resolve({ status: 'error', error: e.message, ms: Date.now() - started }));
    });
    const timer = setTimeout(() => { req.destroy(); resolve({ status: 'timeout', ms: Date.now() - started }); }, timeoutMs);
    req.on('close', () => clearTimeout(timer));
    req.on('error', (e) => resolve({ status: 'error', error: e.message, ms: Date.now() - started }));
    req.end(body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body));
  });
}

const ask = (url, text, extraBody = {}, opts = {}) =>
  request(url, { body: { model: 'hostile', messages: user(text), ...extraBody }, ...opts });

function errorOf(r) {
  try { return JSON.parse(r.body).error; } catch { return undefined; }
}

function assertError(r, status, code, what = '') {
  assert.equal(r.status, status, `${what} ${r.status} ${r.error ?? r.body}`);
  assert.match(r.headers['content-type'], /application\/json/, what);
  const err = errorOf(r);
  assert.ok(err && typeof err.message === 'string' && 'type' in err && 'param' in err && 'code' in err, `${what} envelope: ${r.body}`);
  if (code !== undefined) assert.equal(err.code, code, `${what} ${r.body}`);
  return err;
}

const stopped = (json) => json.some((c) => c.choices?.[0]?.finish_reason === 'stop');

/// After the commit point: one in-band error event, then [DONE], and never a clean finish.
function assertInBandError(r, code, what = '') {
  assert.equal(r.status, 200, `${what} ${r.status} ${r.error ?? r.body}`);
  const { events, json } = parseSse(r.body);
  assert.equal(events.at(-1), '[DONE]', `${what} ends with [DONE]: ${r.body.slice(-300)}`);
  assert.ok(json.at(-1)?.error, `${what} last event is an error: ${r.body.slice(-300)}`);
  if (code !== undefined) assert.equal(json.at(-1).error.code, code, what);
  assert.ok(!stopped(json), `${what} no finish_reason stop after a failure`);
}

/// Either failure shape is right for a stream: a real status before the commit point, in-band after.
function assertStreamFailure(r, status, code, what = '') {
  if (r.status === 200) assertInBandError(r, code, what);
  else assertError(r, status, code, what);
}

const answerOf = (r) => JSON.parse(r.body).choices[0].message.content;

function procStatus(pid, field) {
  const m = readFileSync(`/proc/${pid}/status`, 'utf8').match(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm'));
  return m ? Number(m[1]) : 0;
}

/// Watches a process's resident memory: the peak (VmHWM, reset through clear_refs, plus 50 ms
/// samples) minus the RSS at the start, in MB.
function memWatch(pid) {
  let hwmReset = false;
  try { writeFileSync(`/proc/${pid}/clear_refs`, '5'); hwmReset = true; } catch {}
  const base = procStatus(pid, 'VmRSS');
  let peak = base;
  const timer = setInterval(() => { try { peak = Math.max(peak, procStatus(pid, 'VmRSS')); } catch {} }, 50);
  return () => {
    clearInterval(timer);
    try { peak = Math.max(peak, procStatus(pid, 'VmRSS'), hwmReset ? procStatus(pid, 'VmHWM') : 0); } catch {}
    return (peak - base) / 1024;
  };
}

function cpuSeconds(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime + stime, in USER_HZ (100)
}

async function newConversation(url) {
  const r = await request(url, { path: '/v1/conversations', body: {}, headers: { connection: 'close' } });
  assert.equal(r.status, 200, r.body);
  return JSON.parse(r.body).id;
}

/// A raw client on its own socket: sends one streamed chat request; `firstContent` resolves once
/// the answer's first content has arrived.
function rawStream(port, body) {
  const json = JSON.stringify(body);
  const sock = net.connect(port, '127.0.0.1');
  sock.on('error', () => {});
  sock.write(`POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${API_KEY}\r\n`
    + `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(json)}\r\n\r\n${json}`);
  const firstContent = new Promise((resolve) => {
    let seen = '';
    const t = setTimeout(() => resolve(false), 3000);
    sock.on('data', function onData(d) {
      seen += d.toString('latin1');
      if (seen.includes('"content":"')) { clearTimeout(t); sock.off('data', onData); resolve(true); }
    });
  });
  return { sock, firstContent };
}

// ---------------------------------------------------------------------------------------------
// FAILS on main: the process dies (stack overflow in the recursive parser).
test('finding 1: 100k nested JSON arrays are a 400 invalid_request_error and the gateway stays up', async () => {
  const gw = await ownGateway();
  const depth = 100000;
  const body = `{"model":"hostile","messages":[{"role":"user","content":"x"}],"extra":${'['.repeat(depth)}${']'.repeat(depth)}}`;
  const r = await request(gw.url, { body, timeoutMs: 5000 });
  assert.equal(assertError(r, 400, undefined, 'deep nesting').type, 'invalid_request_error');
  await sleep(100);
  assert.equal(gw.proc.exitCode, null, 'the gateway is still running');
  assert.equal((await request(gw.url, { method: 'GET', path: '/healthz' })).status, 200);
  assert.equal((await ask(gw.url, 'still here')).status, 200);
});

// FAILS on main: the peer-close watch sees the stray byte as a next request and stops watching,
// so the close is noticed only by the next write (here the keep-alive comment, 10 s away).
const quietStream = { stream: { keepalive_interval_ms: 10000 }, upstream: { idle_timeout_ms: 10000 } };
test('finding 2: a stray byte, then a close mid-stream, releases the upstream and the conversation within 1 s', async () => {
  const gw = await ownGateway({ config: quietStream });
  const conv = await newConversation(gw.url);
  const tag = `stray-${Date.now()}`;
  const c = rawStream(gw.port, { model: 'hostile', stream: true, conversation_id: conv, messages: user(`[fault:stall-mid] ${tag}`) });
  assert.ok(await c.firstContent, 'the stream started');
  c.sock.write('X'); // after the request has been read, so the gateway's parser has not taken it
  await sleep(100);
  c.sock.destroy();
  const closedAt = Date.now();
  const conn = H.connOf(tag);
  const closed = await H.waitFor((e) => e.type === 'close' && e.conn === conn, 2500);
  assert.ok(closed && closed.at - closedAt < 1000, `upstream closed ${closed ? closed.at - closedAt : '>2500'} ms after the client`);
  await sleep(Math.max(0, closedAt + 1000 - Date.now()));
  const next = await ask(gw.url, 'next turn', { conversation_id: conv }, { headers: { connection: 'close' } });
  assert.equal(next.status, 200, `the conversation is unlocked: ${next.body}`);
});

// FAILS on main: nothing bounds the write, so the exchange and its upstream live on.
test('finding 2: a client that stops reading is dropped after server.write_timeout_ms, with its upstream and conversation', async () => {
  const gw = await ownGateway({ config: { server: { write_timeout_ms: 300 }, upstream: { idle_timeout_ms: 5000 } } });
  const conv = await newConversation(gw.url);
  const tag = `paused-${Date.now()}`;
  const c = rawStream(gw.port, { model: 'hostile', stream: true, conversation_id: conv, messages: user(`[fault:flood] ${tag}`) });
  assert.ok(await c.firstContent, 'the stream started');
  c.sock.pause();
  const pausedAt = Date.now();
  const conn = H.connOf(tag);
  const closed = await H.waitFor((e) => e.type === 'close' && e.conn === conn, 5000);
  c.sock.destroy();
  // The socket buffers fill within a few hundred ms on loopback, then the 300 ms timeout runs.
  assert.ok(closed && closed.at - pausedAt < 2500, `upstream closed ${closed ? closed.at - pausedAt : '>5000'} ms after the client stopped reading`);
  await sleep(300);
  const next = await ask(gw.url, 'after the stall', { conversation_id: conv }, { headers: { connection: 'close' } });
  assert.equal(next.status, 200, `the conversation is unlocked: ${next.body}`);
});

// FAILS on main: each abandoned exchange keeps its connection slot, so new clients get 503.
test('finding 2: after six abandoned clients a new request still succeeds (server.max_connections 4)', async () => {
  const gw = await ownGateway({ config: { ...quietStream, server: { max_connections: 4 } } });
  for (let i = 0; i < 6; i++) {
    const c = rawStream(gw.port, { model: 'hostile', stream: true, messages: user(`[fault:stall-mid] abandoned ${i}`) });
    await c.firstContent;
    c.sock.write('X');
    await sleep(50);
    c.sock.destroy();
  }
  await sleep(1000);
  const r = await ask(gw.url, 'a new client', {}, { headers: { connection: 'close' } });
  assert.equal(r.status, 200, r.body);
});

// FAILS on main: the provider throws on the reply; streams keep-alive forever, others get nothing.
test('finding 3: a malformed AIPKit nonce reply is a quick 502 upstream_error, never a hang', async () => {
  const gw = await ownGateway();
  try {
    for (const reply of [{ success: 1, data: { nonce: 'x' } }, { success: true }]) {
      H.options.nonceReply = reply;
      const plain = await request(gw.url, { body: { model: 'gemini', messages: user('hi') }, timeoutMs: 4000 });
      assertError(plain, 502, 'upstream_error', `non-stream ${JSON.stringify(reply)}`);
      assert.ok(plain.ms < 3000, `answered in ${plain.ms} ms`);
      const streamed = await request(gw.url, { body: { model: 'gemini', stream: true, messages: user('hi') }, timeoutMs: 4000 });
      assertStreamFailure(streamed, 502, 'upstream_error', `stream ${JSON.stringify(reply)}`);
      assert.ok(streamed.ms < 3000, `answered in ${streamed.ms} ms`);
    }
  } finally {
    delete H.options.nonceReply;
  }
});

// FAILS on main: the 100 head is taken as the answer, the real one goes to the next caller.
test('finding 4: an interim 100 Continue head is skipped; each of five sequential callers gets its own answer', async () => {
  const gw = await ownGateway({ threads: 1 });
  for (let i = 0; i < 5; i++) {
    const text = `[fault:continue100] caller ${i}`;
    const r = await ask(gw.url, text, { stream: i === 4 });
    assert.equal(r.status, 200, `caller ${i}: ${r.body}`);
    const got = i === 4 ? contentOf(parseSse(r.body).json) : answerOf(r);
    assert.equal(got, `echo: ${text}`, `caller ${i}`);
  }
});

// FAILS on main: a dead pooled connection is retried once, on the next pooled one, dead too: 502.
test('finding 5: an upstream that closes idle keep-alives after 1 s never fails the next request', async () => {
  const up = await startHostile({ idleCloseMs: 1000 });
  try {
    const gw = await ownGateway({ up, threads: 1 });
    for (let round = 0; round < 3; round++) {
      // Three overlapping calls leave three pooled connections, all closed by the upstream during the pause.
      const fill = await Promise.all([0, 1, 2].map((i) => ask(gw.url, `[fault:delay] fill ${round}.${i}`)));
      fill.forEach((r) => assert.equal(r.status, 200, r.body));
      await sleep(1500);
      const r = await ask(gw.url, `after pause ${round}`, { stream: round === 2 });
      assert.equal(r.status, 200, `round ${round}: ${r.body}`);
    }
    assert.ok(up.count((e) => e.type === 'idle_close') >= 3, 'the upstream really closed its idle connections');
  } finally {
    await stopExtra();
    await up.stop();
  }
});

/// Sends one request whose upstream floods, and checks the reply is an error and memory bounded.
async function floodCase(fault, stream) {
  const watch = memWatch(G.proc.pid);
  const r = await ask(G.url, `[fault:${fault}] flood`, { stream }, { timeoutMs: 20000 });
  await sleep(100);
  const grew = watch();
  if (stream) assertStreamFailure(r, 502, 'upstream_error', fault);
  else assertError(r, 502, 'upstream_error', fault);
  assert.ok(grew < 50, `${fault}: the gateway grew by ${grew.toFixed(1)} MB`);
}

// FAILS on main: the chunk-size line is buffered without a limit.
test('finding 6: an endless chunk-size line is an upstream_error with RSS growth under 50 MB', async () => {
  await floodCase('endless-chunk', false);
});

// FAILS on main: the cut is taken as the end of the body; the partial answer is a success.
test('finding 7: a TLS upstream cut without close_notify mid-answer is a truncation, not an end', async () => {
  const words = Array.from({ length: 40 }, (_, i) => `word${i}`).join(' '); // past the 150-char look-ahead
  const control = await request(G.url, { body: { model: 'default', messages: user(`clean ${words}`) } });
  assert.equal(control.status, 200, control.body);
  assert.equal(answerOf(control), `echo: clean ${words}`, 'a clean TLS close (close_notify) is a normal end');

  assertError(await request(G.url, { body: { model: 'default', messages: user(`[fault:tls-cut] ${words}`) } }), 502, 'upstream_error', 'non-stream');
  assertInBandError(await request(G.url, { body: { model: 'default', stream: true, messages: user(`[fault:tls-cut] ${words}`) } }),
    'upstream_error', 'stream');

  const conv = await newConversation(G.url);
  const turn = await request(G.url, { body: { model: 'default', conversation_id: conv, messages: user(`[fault:tls-cut] ${words}`) } });
  assertError(turn, 502, 'upstream_error', 'conversation turn');
  const items = JSON.parse((await request(G.url, { method: 'GET', path: `/v1/conversations/${conv}/items` })).body);
  assert.deepEqual(items.data, [], 'no truncated turn is saved');
});

// FAILS on main: the chunk is dropped (stream) and the answer is a 502 (non-stream).
test('finding 8: invalid UTF-8 inside an upstream JSON string becomes U+FFFD; the text around it is delivered', async () => {
  const s = await ask(G.url, '[fault:badutf8]', { stream: true });
  assert.equal(s.status, 200, s.body);
  const { events, json } = parseSse(s.body);
  assert.equal(events.at(-1), '[DONE]');
  assert.equal(contentOf(json), 'before X\ufffdY after');
  const n = await ask(G.url, '[fault:badutf8]');
  assert.equal(n.status, 200, n.body);
  assert.equal(answerOf(n), 'before X\ufffdY after');
});

function curl(args) {
  return new Promise((resolve) => execFile('curl', ['-s', '-S', '--max-time', '5', ...args], { maxBuffer: 1 << 20 },
    (err, stdout, stderr) => resolve({ code: err?.code ?? 0, stdout, stderr })));
}

// FAILS on main: the socket is closed with unread data, the clients see a reset; headers give 413.
test('finding 9: a body over max_body_bytes is a 413 that curl and fetch both receive; oversized headers are a 431', async () => {
  const gw = await ownGateway({ config: { server: { max_body_bytes: 65536, max_header_bytes: 8192 } } });
  const big = JSON.stringify({ model: 'hostile', messages: user('x'.repeat(4 << 20)) });
  const dir = scratchDir('switchyard-faults-');
  writeFileSync(join(dir, 'big.json'), big);
  const seen = {};
  const c = await curl(['-o', '-', '-w', '\n%{http_code}', '-H', 'Expect:', '-H', `authorization: Bearer ${API_KEY}`,
    '-H', 'content-type: application/json', '--data-binary', `@${join(dir, 'big.json')}`, `${gw.url}/v1/chat/completions`]);
  const cut = c.stdout.lastIndexOf('\n');
  seen.curl = c.code ? `curl exit ${c.code}: ${c.stderr.trim()}` : `${c.stdout.slice(cut + 1)} ${errorOf({ body: c.stdout.slice(0, cut) })?.code}`;
  try {
    const f = await fetch(`${gw.url}/v1/chat/completions`, {
      method: 'POST', body: big, signal: AbortSignal.timeout(5000), headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' },
    });
    seen.fetch = `${f.status} ${errorOf({ body: await f.text() })?.code}`;
  } catch (e) {
    seen.fetch = `fetch failed: ${e.cause?.code ?? e.message}`;
  }
  const h = await request(gw.url, { method: 'GET', path: '/v1/models', headers: { 'x-padding': 'p'.repeat(12000) } });
  seen.headers = `${h.status} ${errorOf(h)?.type}`;
  assert.deepEqual(seen, { curl: '413 payload_too_large', fetch: '413 payload_too_large', headers: '431 invalid_request_error' });
  assert.equal((await request(gw.url, { method: 'GET', path: '/v1/models' })).status, 200);
});

// FAILS on main: EMFILE makes the accept loop spin: ~117k "accept failed" lines in 2 s.
test('finding 10: out of file descriptors the accept loop backs off, then recovers', async () => {
  const gw = await ownGateway({ wrap: ['prlimit', '--nofile=64:64', '--'], threads: 1 });
  const sockets = [];
  try {
    for (let i = 0; i < 100; i++) {
      const s = net.connect(gw.port, '127.0.0.1');
      s.on('error', () => {});
      sockets.push(s);
    }
    await sleep(300);
    const [cpu0, lines0] = [cpuSeconds(gw.proc.pid), (gw.proc.logs.match(/accept/gi) || []).length];
    await sleep(2000);
    const [cpu1, lines1] = [cpuSeconds(gw.proc.pid), (gw.proc.logs.match(/accept/gi) || []).length];
    const [cpu, lines] = [cpu1 - cpu0, lines1 - lines0];
    assert.ok(cpu < 0.2 && lines <= 10, `in 2 s the gateway used ${cpu.toFixed(2)} s of CPU and logged ${lines} "accept" lines`);
  } finally {
    sockets.forEach((s) => s.destroy());
  }
  let ok;
  for (let i = 0; i < 20 && ok?.status !== 200; i++) {
    await sleep(100);
    ok = await request(gw.url, { method: 'GET', path: '/healthz', timeoutMs: 1000 });
  }
  assert.equal(ok.status, 200, 'the gateway answers again once descriptors are free');
});

// FAILS on main: SO_REUSEPORT lets the second one start and share the port.
test('finding 11: a second gateway on a port already in use exits non-zero with a clear message', async () => {
  const cwd = scratchDir('switchyard-faults-');
  const result = await new Promise((resolve) => {
    const p = spawn(gatewayBin, ['--listen', `127.0.0.1:${G.port}`, '--threads', '1'],
      { cwd, env: { PATH: process.env.PATH, API_MASTER_KEY: API_KEY, SWITCHYARD_STORE: 'memory', LOG_LEVEL: 'warn' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    p.stdout.on('data', (d) => { out += d; });
    p.stderr.on('data', (d) => { out += d; });
    const t = setTimeout(() => p.kill('SIGKILL'), 3000);
    p.on('exit', (code, signal) => { clearTimeout(t); resolve({ code, signal, out }); });
  });
  assert.ok(result.signal === null && result.code !== 0, `exit ${result.code} / ${result.signal}: ${result.out}`);
  assert.match(result.out, /in use|EADDRINUSE|bind/i);
});

/// Reads what arrives on `sock` within `ms`.
function collect(sock, ms) {
  return new Promise((resolve) => {
    let got = '';
    const onData = (d) => { got += d.toString('latin1'); };
    sock.on('data', onData);
    setTimeout(() => { sock.off('data', onData); resolve(got); }, ms);
  });
}

// FAILS on main: the HEAD reply carries the body.
test('finding 12: HEAD /healthz has no body, so a GET after it on the same connection parses', async () => {
  const sock = net.connect(G.port, '127.0.0.1');
  sock.on('error', () => {});
  try {
    sock.write('HEAD /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
    const headReply = await collect(sock, 400);
    assert.match(headReply, /^HTTP\/1\.1 200 /);
    assert.equal(headReply.indexOf('\r\n\r\n'), headReply.length - 4, `nothing after the HEAD reply's head: ${JSON.stringify(headReply)}`);
    sock.write('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
    const getReply = await collect(sock, 400);
    assert.match(getReply, /^HTTP\/1\.1 200 /, `the GET reply starts a response: ${JSON.stringify(getReply.slice(0, 80))}`);
    const length = Number(getReply.match(/\r\ncontent-length: (\d+)/i)?.[1]);
    assert.ok(length > 0);
    assert.equal(Buffer.byteLength(getReply.slice(getReply.indexOf('\r\n\r\n') + 4), 'latin1'), length);
  } finally {
    sock.destroy();
  }
});

// FAILS on main: the code is server_shutting_down and there is no retry-after.
test('finding 13: past server.max_connections the reply is 503 server_overloaded with retry-after', async () => {
  const gw = await ownGateway({ config: { server: { max_connections: 2 } } });
  const held = [net.connect(gw.port, '127.0.0.1'), net.connect(gw.port, '127.0.0.1')];
  held.forEach((s) => s.on('error', () => {}));
  try {
    await sleep(100);
    const r = await request(gw.url, { method: 'GET', path: '/v1/models', headers: { connection: 'close' } });
    assertError(r, 503, 'server_overloaded', 'overload');
    assert.match(String(r.headers['retry-after']), /^\d+$/);
  } finally {
    held.forEach((s) => s.destroy());
  }
});

// FAILS on main: getaddrinfo is waited for whatever the connect timeout says (here 30 s, a
// 502), and a hung lookup would hold up shutdown on Asio's resolver thread.
test('finding 15: a DNS lookup that never answers is a 504 within the connect timeout, and does not delay shutdown', async () => {
  const gw = await ownGateway({
    env: { ...slowLibc({ SLOW_LIBC_DNS_SUFFIX: '.hang.test', SLOW_LIBC_DNS_MS: '20000' }), OPENAI_BASE_URL: 'http://upstream.hang.test:9/v1' },
    config: { upstream: { connect_timeout_ms: 500, request_timeout_ms: 8000 } },
  });
  for (const stream of [false, true]) {
    const r = await ask(gw.url, 'dns', { stream }, { timeoutMs: 4000 });
    assertStreamFailure(r, 504, 'upstream_timeout', `stream=${stream}`); // the stream commits after 300 ms
    assert.ok(r.ms < 500 + 700, `stream=${stream}: answered after ${r.ms} ms (connect timeout 500 ms)`);
  }
  // Both lookups are still parked in getaddrinfo for 20 s.
  const started = Date.now();
  const { code } = await gw.stop();
  assert.equal(code, 0);
  assert.ok(Date.now() - started < 1500, `shutdown took ${Date.now() - started} ms with hung lookups`);
});

// FAILS on main: the reply is empty.
test('finding 16: a conversation item with a non-string role is a 400', async () => {
  const r = await request(G.url, { path: '/v1/conversations', body: { items: [{ type: 'message', role: 5, content: 'x' }] } });
  assert.equal(assertError(r, 400, undefined, 'role 5').type, 'invalid_request_error');
});

// FAILS on main: the budget overflows into an empty answer with finish_reason "length".
test('finding 17: max_tokens of 2^62 gives a normal answer', async () => {
  for (const model of ['hostile', 'default']) {
    const r = await request(G.url, { body: `{"model":"${model}","max_tokens":4611686018427387904,"messages":[{"role":"user","content":"big budget"}]}` });
    assert.equal(r.status, 200, `${model}: ${r.body}`);
    assert.equal(answerOf(r), 'echo: big budget', model);
    assert.equal(JSON.parse(r.body).choices[0].finish_reason, 'stop', model);
  }
});

// FAILS on main: every request that finds no nonce fetches its own.
test('finding 21: eight concurrent AIPKit requests that need a nonce make one nonce fetch', async () => {
  const gw = await ownGateway();
  const fetches = () => H.count((e) => e.proto === 'aipkit' && e.action === 'aipkit_get_frontend_chat_nonce');
  const before = fetches();
  const rs = await Promise.all(Array.from({ length: 8 }, (_, i) => request(gw.url, { body: { model: 'gemini', messages: user(`nonce ${i}`) } })));
  rs.forEach((r, i) => assert.equal(r.status === 200 && answerOf(r), `echo: nonce ${i}`, r.body));
  assert.equal(fetches() - before, 1, 'nonce fetches');
});

// FAILS on main: a foreign page may POST as text/plain (no preflight) and read the answer.
test('finding 22: with auth off, foreign origins and hosts are refused; CORS_ORIGINS allows a listed origin', async () => {
  const open = await ownGateway({ env: { API_MASTER_KEY: '' } });
  const simplePost = (url, headers) => request(url, { body: { model: 'hostile', messages: user('cors') }, headers: { authorization: undefined, 'content-type': 'text/plain', ...headers } });
  const evil = await simplePost(open.url, { origin: 'http://evil.example' });
  assert.equal(evil.status, 403, evil.body);
  assert.equal(evil.headers['access-control-allow-origin'], undefined);
  const rebound = await request(open.url, { method: 'GET', path: '/v1/models', headers: { authorization: undefined, host: 'evil.example' } });
  assert.equal(rebound.status, 403, `DNS rebinding (Host: evil.example): ${rebound.body}`);
  assert.equal((await simplePost(open.url, {})).status, 200, 'no Origin: unaffected');

  const listed = await ownGateway({ env: { API_MASTER_KEY: '', CORS_ORIGINS: 'http://ok.example' } });
  const ok = await simplePost(listed.url, { origin: 'http://ok.example', 'content-type': 'application/json' });
  assert.equal(ok.status, 200, ok.body);
  assert.equal(ok.headers['access-control-allow-origin'], 'http://ok.example');
  assert.equal((await simplePost(listed.url, { origin: 'http://evil.example' })).status, 403);

  const keyed = await ask(G.url, 'cors with a key', {}, { headers: { origin: 'http://evil.example' } });
  assert.equal(keyed.status, 200, keyed.body);
  assert.equal(keyed.headers['access-control-allow-origin'], '*', 'with auth on, * stays');
});

/// A streamed request that notes when each piece of its body arrives.
function timedStream(url, text) {
  return new Promise((resolve) => {
    const arrivals = [];
    const req = http.request(new URL('/v1/chat/completions', url), {
      method: 'POST', headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' },
    }, (res) => {
      let body = '';
      res.on('data', (c) => { arrivals.push(Date.now()); body += c; });
      res.on('end', () => resolve({ status: res.statusCode, body, arrivals }));
    });
    req.on('error', (e) => resolve({ status: 'error', error: e.message, arrivals }));
    req.end(JSON.stringify({ model: 'hostile', stream: true, messages: user(text) }));
  });
}

// FAILS on main: the turn's commit (its fsync, made slow here) runs on the I/O thread, so a
// stream on the same thread stops for as long.
test('finding 23: a slow store commit does not stall a stream on the same I/O thread; the turn is still saved', async () => {
  const gw = await ownGateway({ env: { ...slowLibc({ SLOW_LIBC_FSYNC_MS: '400' }), SWITCHYARD_STORE: undefined }, threads: 1 });
  const conv = await newConversation(gw.url);
  const stream = timedStream(gw.url, '[fault:ticks] steady');
  await sleep(400);
  const turn = await ask(gw.url, 'saved while streaming', { conversation_id: conv }, { timeoutMs: 5000 });
  assert.equal(turn.status, 200, turn.body);
  assert.ok(turn.ms >= 400, `the turn waited for its commit (${turn.ms} ms)`);
  const s = await stream;
  assert.equal(s.status, 200, s.error);
  assert.match(s.body, /t99 /);
  const gaps = s.arrivals.slice(1).map((t, i) => t - s.arrivals[i]);
  assert.ok(Math.max(...gaps) < 250, `longest pause in the stream: ${Math.max(...gaps)} ms (chunks every 20 ms, commits 400 ms)`);
  const items = await request(gw.url, { method: 'GET', path: `/v1/conversations/${conv}/items` });
  assert.match(items.body, /saved while streaming/);
});

// FAILS on main, but it is a race: 1 to 8 turns of 40 were 409 in isolated runs, and a full-suite
// run passed once. The lock is released only after the reply is written, and a next turn on
// another worker thread can beat it.
test('finding 24: a turn sent as soon as the previous non-streamed answer is read is never busy (0 of 60, under load)', async () => {
  const gw = await ownGateway({ env: { SWITCHYARD_STORE: undefined }, config: { server: { shutdown_grace_ms: 200 } } }); // the real (sqlite) store
  const conv = await newConversation(gw.url);
  // Two fast streams keep the worker threads busy, so a finished turn's coroutine resumes late.
  // They end when the gateway is stopped after the test (or after 5 s).
  for (let i = 0; i < 2; i++) ask(gw.url, '[fault:flood] load', { stream: true }, { timeoutMs: 5000 });
  const statuses = [];
  for (let i = 0; i < 60; i++) {
    // A new connection each time, so the next turn may land on the other worker thread.
    statuses.push((await ask(gw.url, `turn ${i}`, { conversation_id: conv }, { headers: { connection: 'close' }, timeoutMs: 5000 })).status);
  }
  assert.equal(statuses.filter((s) => s === 409).length, 0, statuses.join(','));
  assert.ok(statuses.every((s) => s === 200), statuses.join(','));
});

// ---------------------------------------------------------------------------------------------
// Upstream faults before the first token: exact status and code, upstream text never forwarded.
// FAILS on main only for 429, whose upstream message ("slow down <secret>") is forwarded.
test('upstream faults before the first token map to exact statuses and codes, stream or not', async () => {
  const cases = [
    // [model, fault, status, code]
    ['dead', 'refused', 502, 'upstream_error'],
    ['hostile', 'reset-before-headers', 502, 'upstream_error'],
    ['hostile', 'nonjson', 502, 'upstream_error'],
    ['hostile', 'html', 502, 'upstream_error'],
    ['hostile', '5xx', 502, 'upstream_error'],
    ['hostile', 'switch101', 502, 'upstream_error'],
    ['hostile', 'long-chunk-line', 502, 'upstream_error'],
    ['hostile', '429', 429, 'rate_limit_exceeded'],
    ['keyed', '401', 502, 'upstream_auth_failed'],
  ];
  const failures = [];
  for (const stream of [false, true]) {
    for (const [model, fault, status, code] of cases) {
      const what = `${fault} stream=${stream}`;
      const r = await request(G.url, { body: { model, stream, messages: user(`[fault:${fault}] x`) } });
      try {
        assertError(r, status, code, what);
        assert.ok(!r.body.includes(HTML_MARKER) && !r.body.includes(SECRET_MARKER) && !/Just a moment/.test(r.body), `${what}: upstream text leaked`);
        if (fault === '429') assert.equal(r.headers['retry-after'], '7', `${what}: retry-after passed on`);
      } catch (e) { failures.push(e.message); }
    }
  }
  assert.deepEqual(failures, []);
});

// passes on main (a guard).
test('an upstream that stays silent is a 504 upstream_timeout within upstream.request_timeout_ms', async () => {
  const r = await ask(G.url, '[fault:silence] x');
  assertError(r, 504, 'upstream_timeout', 'silence');
  assert.ok(r.ms < 800 + 1000, `answered after ${r.ms} ms (timeout 800 ms)`);
});

// passes on main (a guard).
test('an upstream reset mid-stream is an in-band upstream_error (no stop) when streaming, a 502 otherwise', async () => {
  assertInBandError(await ask(G.url, '[fault:reset-mid] x', { stream: true }), 'upstream_error', 'stream');
  assertError(await ask(G.url, '[fault:reset-mid] x'), 502, 'upstream_error', 'non-stream');
});

// passes on main (a guard).
test('an upstream stalled mid-stream ends in an in-band upstream_timeout after upstream.idle_timeout_ms', async () => {
  const r = await ask(G.url, '[fault:stall-mid] x', { stream: true });
  assertInBandError(r, 'upstream_timeout', 'stall');
  assert.ok(r.ms < 800 + 1500, `released after ${r.ms} ms (idle timeout 800 ms)`);
});

// passes on main (a guard).
test('1-byte upstream writes splitting UTF-8 characters leave the text intact', async () => {
  const want = 'héllo 🎉 wörld echo: [fault:bytewise] x';
  const s = await ask(G.url, '[fault:bytewise] x', { stream: true });
  assert.equal(s.status, 200, s.body);
  assert.equal(contentOf(parseSse(s.body).json), want);
  const n = await ask(G.url, '[fault:bytewise] x');
  assert.equal(n.status, 200, n.body);
  assert.equal(answerOf(n), want);
});

// passes on main (a guard).
test('an oversized upstream body is an upstream_error with RSS growth under 50 MB', async () => {
  await floodCase('oversized-body', false);
});

// passes on main (a guard).
test('an endless upstream SSE line is an error with RSS growth under 50 MB', async () => {
  await floodCase('oversized-line', true);
});
