// SWITCHYARD_STORE=redis: two gateways on one Redis act as one for conversations, and a Redis
// that goes away costs stateful requests a fast 503 store_unavailable, never a hang, while
// one-shot requests go on.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { join } from 'node:path';
import net from 'node:net';
import { startEmulator, startGateway, runGateway, rawRequest, chat, user, sleep, parseSse, scratchDir } from './harness.mjs';

const freePort = () => new Promise((resolve) => {
  const s = net.createServer().listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)); });
});

async function startRedis(port, extra = []) {
  const proc = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', ...extra],
    { stdio: 'ignore' });
  process.on('exit', () => proc.kill('SIGKILL'));
  for (let i = 0; i < 200; i++) {
    const up = await new Promise((r) => { const s = net.connect(port, '127.0.0.1', () => { s.destroy(); r(true); }); s.on('error', () => r(false)); });
    if (up) {
      const exited = new Promise((r) => proc.on('exit', r));
      return { proc, stop: () => { proc.kill('SIGKILL'); return exited; } }; // once or twice
    }
    await sleep(20);
  }
  throw new Error('redis-server did not start (scripts/install-deps.sh installs it)');
}

const answerOf = (r) => JSON.parse(r.body).choices[0].message.content;
const post = (gw, path, body) => rawRequest(gw.url, { path, body });
const get = (gw, path) => rawRequest(gw.url, { method: 'GET', path });

test('two gateways on one Redis: a conversation continues on either, turn after turn', async () => {
  const port = await freePort();
  const redis = await startRedis(port);
  const up = await startEmulator();
  const env = { SWITCHYARD_STORE: 'redis', REDIS_URL: `redis://127.0.0.1:${port}/1` };
  const [a, b] = [await startGateway({ emulator: up, env }), await startGateway({ emulator: up, env })];
  try {
    const conv = JSON.parse((await post(a, '/v1/conversations', { metadata: { topic: 'shared' } })).body);
    assert.match(conv.id, /^conv_/);
    assert.deepEqual(JSON.parse((await get(b, `/v1/conversations/${conv.id}`)).body).metadata, { topic: 'shared' });
    for (const [i, gw] of [a, b, a, b].entries()) {
      const r = await chat(gw.url, { messages: user(`turn ${i}`), conversation_id: conv.id });
      assert.equal(r.status, 200, r.body);
      assert.match(answerOf(r), new RegExp(`^echo: turn ${i}`));
    }
    // Each gateway sees all eight items, in order.
    for (const gw of [a, b]) {
      const items = JSON.parse((await get(gw, `/v1/conversations/${conv.id}/items?order=asc&limit=100`)).body).data;
      assert.equal(items.length, 8);
      assert.deepEqual(items.filter((it) => it.role === 'user').map((it) => it.content[0].text), ['turn 0', 'turn 1', 'turn 2', 'turn 3']);
    }
    // The upstream conversation was continued, not rebuilt: one conversation/create for four turns.
    assert.equal((await up.events()).filter((e) => e.type === 'conversation_created').length, 1);
    assert.equal((await rawRequest(b.url, { method: 'DELETE', path: `/v1/conversations/${conv.id}` })).status, 200);
    assert.equal((await get(a, `/v1/conversations/${conv.id}`)).status, 404);
  } finally {
    await a.stop();
    await b.stop();
    await up.stop();
    await redis.stop();
  }
});

test('Redis down: conversations answer 503 store_unavailable at once, one-shot chat goes on, and it reconnects by itself', async () => {
  const port = await freePort();
  let redis = await startRedis(port);
  const up = await startEmulator();
  const gw = await startGateway({ emulator: up, env: { SWITCHYARD_STORE: 'redis', REDIS_URL: `redis://127.0.0.1:${port}` } });
  try {
    const conv = JSON.parse((await post(gw, '/v1/conversations', {})).body);
    await redis.stop();
    for (const r of [await get(gw, `/v1/conversations/${conv.id}`), await post(gw, '/v1/conversations', {}),
      await chat(gw.url, { messages: user('stateful'), conversation_id: conv.id })]) {
      assert.equal(r.status, 503, r.body);
      assert.equal(JSON.parse(r.body).error.code, 'store_unavailable');
    }
    const started = Date.now();
    assert.equal((await get(gw, `/v1/conversations/${conv.id}`)).status, 503);
    assert.ok(Date.now() - started < 500, 'fast, not a wait for Redis');
    const oneShot = await chat(gw.url, { messages: user('no state needed') });
    assert.equal(oneShot.status, 200, oneShot.body);
    redis = await startRedis(port); // back, empty
    let back;
    for (let i = 0; i < 50 && back?.status !== 200; i++) {
      await sleep(100);
      back = await post(gw, '/v1/conversations', {});
    }
    assert.equal(back.status, 200, back.body);
  } finally {
    await gw.stop();
    await up.stop();
    await redis.stop();
  }
});

test('Redis that refuses the credentials stops the start with a message that does not show them', async () => {
  const port = await freePort();
  const redis = await startRedis(port, ['--requirepass', 'right-pass']);
  try {
    const r = await runGateway(['--listen', '127.0.0.1:0'], { SWITCHYARD_STORE: 'redis', REDIS_URL: `redis://:wrong-pass-123@127.0.0.1:${port}` });
    assert.notEqual(r.code, 0, r.out);
    assert.match(r.out, /Redis refused AUTH/);
    assert.doesNotMatch(r.out, /wrong-pass-123/);
  } finally {
    await redis.stop();
  }
});

const as = (key) => ({ authorization: `Bearer ${key}` });
const streamChat = (gw, body, headers = {}) => chat(gw.url, { stream: true, ...body }, headers);

test('two gateways on one Redis act as one: a turn lock, key limits and a resting credential hold across both', async () => {
  const port = await freePort();
  const redis = await startRedis(port);
  const up = await startEmulator(['--openai-keys', 'sk-up-1']);
  const env = { SWITCHYARD_STORE: 'redis', REDIS_URL: `redis://127.0.0.1:${port}`, OPENAI_BASE_URL: `${up.url}/v1`, OPENAI_API_KEY: 'sk-up-1', OPENAI_MODELS: 'emu-small' };
  const config = { keys: [{ name: 'team-a', key: 'sk-team-a', rpm: 2 }, { name: 'solo', key: 'sk-solo', max_concurrent: 1 }] };
  const [a, b] = [await startGateway({ emulator: up, env, config }), await startGateway({ emulator: up, env, config })];
  try {
    // A turn in progress on one instance makes the other's turn of the same conversation a 409.
    const conv = JSON.parse((await post(a, '/v1/conversations', {})).body);
    const slow = streamChat(a, { messages: user('[scenario:slow] a b c d e f'), conversation_id: conv.id });
    await sleep(400);
    const busy = await chat(b.url, { messages: user('me too'), conversation_id: conv.id });
    assert.equal(busy.status, 409, busy.body);
    assert.equal(JSON.parse(busy.body).error.code, 'conversation_busy');
    const busyItems = await post(b, `/v1/conversations/${conv.id}/items`, { items: [{ type: 'message', role: 'user', content: 'x' }] });
    assert.equal(busyItems.status, 409, busyItems.body);
    assert.equal((await slow).status, 200);
    // The lock was given back before [DONE]: the next turn, on either instance, goes at once.
    const after = await chat(b.url, { messages: user('now me'), conversation_id: conv.id });
    assert.equal(after.status, 200, after.body);

    // Two requests a minute for team-a, on whichever instance they land.
    assert.equal((await chat(a.url, { messages: user('one') }, as('sk-team-a'))).status, 200);
    assert.equal((await chat(b.url, { messages: user('two') }, as('sk-team-a'))).status, 200);
    for (const gw of [a, b]) {
      const third = await chat(gw.url, { messages: user('three') }, as('sk-team-a'));
      assert.equal(third.status, 429, third.body);
      assert.match(JSON.parse(third.body).error.message, /2 requests per minute/);
    }
    // One stream at once for solo, across both.
    const long = streamChat(a, { messages: user('[scenario:slow] a b c d e f') }, as('sk-solo'));
    await sleep(400);
    const second = await chat(b.url, { messages: user('me too') }, as('sk-solo'));
    assert.equal(second.status, 429, second.body);
    assert.match(JSON.parse(second.body).error.message, /1 requests at once/);
    assert.equal((await long).status, 200);

    // The upstream rate-limits the only key on A: B rests it too, and sends nothing upstream.
    const limited = await chat(a.url, { model: 'emu-small', messages: user('[scenario:429]') });
    assert.equal(limited.status, 429, limited.body);
    let state;
    for (let i = 0; i < 40 && state !== 'cooling'; i++) {
      await sleep(50);
      state = JSON.parse((await get(b, '/admin/credentials')).body).data.find((c) => c.id === 'openai:0').state;
    }
    assert.equal(state, 'cooling');
    const sentBefore = (await up.traffic()).length;
    const rested = await chat(b.url, { model: 'emu-small', messages: user('hello') });
    assert.equal(rested.status, 429, rested.body);
    assert.ok(['1', '2', '3'].includes(rested.headers['retry-after']), rested.headers['retry-after']);
    assert.equal((await up.traffic()).length, sentBefore, 'nothing sent upstream with a resting key');
    for (const gw of [a, b]) assert.ok(!gw.proc.logs.includes('sk-up-1'), 'keys never appear in logs');
  } finally {
    await a.stop();
    await b.stop();
    await up.stop();
    await redis.stop();
  }
});

/// Sends DEBUG SLEEP to Redis without waiting for its answer: Redis answers nobody meanwhile.
function pauseRedis(port, seconds) {
  const s = net.connect(port, '127.0.0.1', () => s.write(`*3\r\n$5\r\nDEBUG\r\n$5\r\nSLEEP\r\n$${String(seconds).length}\r\n${seconds}\r\n`));
  s.on('error', () => {});
  s.on('data', () => s.destroy());
}

test('Redis killed mid-stream, restarted between turns, paused: an in-band 503, turns kept on disk, never a hang', async () => {
  const port = await freePort();
  const dir = scratchDir('switchyard-redis-');
  const durable = ['--appendonly', 'yes', '--appendfsync', 'always', '--dir', dir, '--enable-debug-command', 'yes'];
  let redis = await startRedis(port, durable);
  const up = await startEmulator();
  const gw = await startGateway({ emulator: up, env: { SWITCHYARD_STORE: 'redis', REDIS_URL: `redis://127.0.0.1:${port}` } });
  const items = async () => JSON.parse((await get(gw, `/v1/conversations/${conv.id}/items?limit=100`)).body).data;
  let conv;
  try {
    conv = JSON.parse((await post(gw, '/v1/conversations', {})).body);
    assert.equal((await chat(gw.url, { messages: user('first'), conversation_id: conv.id })).status, 200);
    // Killed and restarted between turns: what was acknowledged before [DONE] is on disk.
    await redis.stop();
    redis = await startRedis(port, durable);
    const second = await chat(gw.url, { messages: user('second'), conversation_id: conv.id });
    assert.equal(second.status, 200, second.body);
    assert.equal((await items()).length, 4);

    // Killed while a turn streams: the stream ends with an in-band store_unavailable, and the
    // turn is not half-kept.
    const cut = streamChat(gw, { messages: user('[scenario:slow] a b c d e f'), conversation_id: conv.id });
    await sleep(400);
    await redis.stop();
    const { json } = parseSse((await cut).body);
    assert.equal(json.at(-1).error?.code, 'store_unavailable', JSON.stringify(json.at(-1)));
    redis = await startRedis(port, durable);
    let back;
    for (let i = 0; i < 50 && back?.status !== 200; i++) {
      await sleep(100);
      back = await get(gw, `/v1/conversations/${conv.id}`);
    }
    assert.equal(back.status, 200, back.body);
    assert.equal((await items()).length, 4);

    // Paused: a call waits out its deadline (2 s), then 503, then Redis is back.
    pauseRedis(port, 4);
    await sleep(100);
    const started = Date.now();
    const paused = await get(gw, `/v1/conversations/${conv.id}`);
    assert.equal(paused.status, 503, paused.body);
    assert.ok(Date.now() - started < 3000, `answered in ${Date.now() - started} ms`);
    const oneShot = await chat(gw.url, { messages: user('no state needed') });
    assert.equal(oneShot.status, 200, oneShot.body);
    let resumed;
    for (let i = 0; i < 80 && resumed?.status !== 200; i++) {
      await sleep(100);
      resumed = await chat(gw.url, { messages: user('third'), conversation_id: conv.id });
    }
    assert.equal(resumed.status, 200, resumed.body);
    assert.equal((await items()).length, 6);
  } finally {
    await gw.stop();
    await up.stop();
    await redis.stop();
  }
});

test('rediss://: the gateway speaks TLS to Redis and checks its certificate', async () => {
  const dir = scratchDir('switchyard-redis-tls-');
  const [cert, key] = [join(dir, 'cert.pem'), join(dir, 'key.pem')];
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=localhost',
    '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', key, '-out', cert], { stdio: 'ignore' });
  const port = await freePort();
  const redis = await startRedis(port, ['--port', '0', '--tls-port', String(port), '--tls-cert-file', cert, '--tls-key-file', key, '--tls-auth-clients', 'no']);
  const up = await startEmulator();
  const url = `rediss://127.0.0.1:${port}`;
  const gw = await startGateway({ emulator: up, env: { SWITCHYARD_STORE: 'redis', REDIS_URL: url, SSL_CERT_FILE: cert, LOG_LEVEL: 'info' } });
  const untrusting = await startGateway({ emulator: up, env: { SWITCHYARD_STORE: 'redis', REDIS_URL: url } });
  try {
    assert.match(gw.proc.logs, /over TLS/);
    const conv = JSON.parse((await post(gw, '/v1/conversations', {})).body);
    const r = await chat(gw.url, { messages: user('over tls'), conversation_id: conv.id });
    assert.equal(r.status, 200, r.body);
    // Without the certificate among its CAs, a gateway does not talk to that Redis.
    const refused = await get(untrusting, `/v1/conversations/${conv.id}`);
    assert.equal(refused.status, 503, refused.body);
  } finally {
    await gw.stop();
    await untrusting.stop();
    await up.stop();
    await redis.stop();
  }
});
