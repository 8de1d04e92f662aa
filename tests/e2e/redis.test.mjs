// SWITCHYARD_STORE=redis: two gateways on one Redis act as one for conversations, and a Redis
// that goes away costs stateful requests a fast 503 store_unavailable, never a hang, while
// one-shot requests go on.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import net from 'node:net';
import { startEmulator, startGateway, runGateway, rawRequest, chat, user, sleep } from './harness.mjs';

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
