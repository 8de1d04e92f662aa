// Operations: Prometheus metrics on GET /metrics and JSON access logs, against the real binary.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { API_KEY, FLOWGPT_TOKEN, startEmulator, startGateway, rawRequest, chat, user, sleep, parseSse, contentOf } from './harness.mjs';

const ADMIN_KEY = 'admin-key-5f3a9c';
let emulator;

before(async () => { emulator = await startEmulator(); });
after(async () => { await emulator?.stop(); });

const metricsOf = async (url, headers = {}) => rawRequest(url, { method: 'GET', path: '/metrics', headers: { authorization: '', ...headers } });

/// The value of one sample, by metric name and labels (all given labels must match).
function sample(text, name, labels = {}) {
  let total = null;
  for (const line of text.split('\n')) {
    if (line.startsWith('#') || !line.startsWith(name)) continue;
    const m = line.match(/^([a-z_]+)(?:\{(.*)\})? (\S+)$/);
    if (!m || m[1] !== name) continue;
    const got = Object.fromEntries([...(m[2] ?? '').matchAll(/([a-z_]+)="([^"]*)"/g)].map((x) => [x[1], x[2]]));
    if (Object.entries(labels).every(([k, v]) => got[k] === v)) total = (total ?? 0) + Number(m[3]);
  }
  return total;
}

test('GET /metrics: exchanges by route, model, provider and status, latencies, tokens, open streams', async () => {
  const gw = await startGateway({ emulator });
  try {
    const plain = await chat(gw.url, { model: 'default', messages: user('count me') });
    assert.equal(plain.status, 200);
    const streamed = await chat(gw.url, { model: 'default', stream: true, messages: user('stream me') });
    assert.equal(streamed.status, 200);
    assert.equal((await chat(gw.url, { model: 'nope', messages: user('x') })).status, 404);
    assert.equal((await chat(gw.url, { model: 'default', messages: user('[scenario:500] fail') })).status, 502);

    const r = await metricsOf(gw.url);
    assert.equal(r.status, 200, r.body);
    assert.match(r.headers['content-type'], /^text\/plain; version=0\.0\.4/);
    const m = r.body;
    assert.match(m, /# TYPE switchyard_requests_total counter/);
    const chatRoute = { route: '/v1/chat/completions' };
    assert.equal(sample(m, 'switchyard_requests_total', { ...chatRoute, model: 'default', provider: 'flowgpt', status: '200' }), 2);
    assert.equal(sample(m, 'switchyard_requests_total', { ...chatRoute, model: '', status: '404' }), 1, 'an unknown model is not a label value');
    assert.equal(sample(m, 'switchyard_requests_total', { ...chatRoute, status: '502' }), 1);
    assert.equal(sample(m, 'switchyard_upstream_failures_total', { provider: 'flowgpt', reason: 'upstream_failed' }), 1);
    assert.equal(sample(m, 'switchyard_request_duration_seconds_count', chatRoute), 4);
    assert.equal(sample(m, 'switchyard_time_to_first_byte_seconds_count', chatRoute), 4);
    assert.equal(sample(m, 'switchyard_time_to_first_token_seconds_count', { provider: 'flowgpt' }), 1, 'streams only');
    assert.ok(sample(m, 'switchyard_tokens_total', { key: 'key1', model: 'default', kind: 'prompt', estimated: 'true' }) > 0);
    assert.ok(sample(m, 'switchyard_tokens_total', { key: 'key1', kind: 'completion' }) > 0);
    assert.equal(sample(m, 'switchyard_open_streams'), 0);
    assert.ok(sample(m, 'switchyard_store_call_seconds_count') >= 0);
    assert.ok(!m.includes(API_KEY) && !m.includes(FLOWGPT_TOKEN), 'no credential in the metrics');

    // An open stream is counted while it lasts.
    const slow = chat(gw.url, { model: 'default', stream: true, messages: user('[scenario:slow] a b c d e f') });
    await sleep(400);
    assert.equal(sample((await metricsOf(gw.url)).body, 'switchyard_open_streams'), 1);
    await slow;
    assert.equal(sample((await metricsOf(gw.url)).body, 'switchyard_open_streams'), 0);
  } finally {
    await gw.stop();
  }
});

test('/metrics needs ADMIN_KEY when it is set (an API key is not enough), and is a 404 when metrics are off', async () => {
  const gw = await startGateway({ emulator, env: { ADMIN_KEY } });
  const off = await startGateway({ emulator, env: { SWITCHYARD_METRICS: 'off' } });
  try {
    assert.equal((await metricsOf(gw.url)).status, 401);
    assert.equal((await metricsOf(gw.url, { authorization: `Bearer ${API_KEY}` })).status, 401);
    const ok = await metricsOf(gw.url, { authorization: `Bearer ${ADMIN_KEY}` });
    assert.equal(ok.status, 200);
    assert.match(ok.body, /switchyard_open_streams 0/);
    assert.equal((await metricsOf(off.url)).status, 404);
    assert.equal((await chat(off.url, { model: 'default', messages: user('still answers') })).status, 200);
  } finally {
    await gw.stop();
    await off.stop();
  }
});

test('LOG_FORMAT=json: every line is a JSON object, with one access record per exchange and no secrets', async () => {
  const gw = await startGateway({ emulator, env: { LOG_FORMAT: 'json', LOG_LEVEL: 'info' } });
  let logs;
  try {
    assert.equal((await chat(gw.url, { model: 'default', messages: user('log me') })).status, 200);
    assert.equal((await chat(gw.url, { model: 'default', stream: true, messages: user('log me too') })).status, 200);
    assert.equal((await chat(gw.url, { model: 'default', messages: user('x') }, { authorization: 'Bearer wrong-key' })).status, 401);
    await sleep(1300); // lines are written in batches, at least once a second
    logs = gw.proc.logs;
  } finally {
    await gw.stop();
  }
  const lines = logs.split('\n').filter((l) => l && !l.startsWith('switchyard listening'));
  const records = lines.map((l) => JSON.parse(l));
  for (const r of records) {
    assert.match(r.time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
    assert.ok(['info', 'warning', 'error'].includes(r.level), r.level);
  }
  const access = records.filter((r) => r.type === 'access');
  assert.equal(access.length, 3);
  const [first, second, refused] = access;
  assert.match(first.request_id, /^req_/);
  assert.equal(first.method, 'POST');
  assert.equal(first.route, '/v1/chat/completions');
  assert.equal(first.status, 200);
  assert.equal(first.key, 'key1');
  assert.equal(first.model, 'default');
  assert.equal(first.provider, 'flowgpt');
  assert.equal(first.credential, `…${FLOWGPT_TOKEN.slice(-4)}`);
  assert.ok(first.duration_ms >= first.ttfb_ms && first.ttfb_ms > 0);
  assert.ok(first.prompt_tokens > 0 && first.completion_tokens > 0 && first.tokens_estimated === true);
  assert.equal(second.streamed, true);
  assert.ok(second.ttft_ms > 0);
  assert.equal(refused.status, 401);
  assert.equal(refused.key, undefined);
  assert.ok(records.some((r) => r.type === undefined && typeof r.message === 'string'), 'ordinary lines carry a message');
  assert.ok(!logs.includes(API_KEY) && !logs.includes(FLOWGPT_TOKEN) && !logs.includes('wrong-key'), 'no credential in the log');
});

test('named keys with limits: requests per minute, models, streams at once; errors in each API\'s shape', async () => {
  const keys = [
    { name: 'team-a', key: 'sk-team-a', rpm: 2 },
    // sha256("sk-only-default"): the file need not hold the key
    { name: 'default-only', key_sha256: createHash('sha256').update('sk-only-default').digest('hex'), models: ['default'] },
    { name: 'solo', key: 'sk-solo', max_concurrent: 1 },
  ];
  const gw = await startGateway({ emulator, config: { keys }, env: { CHATGPTFREE_BASE_URL: emulator.url } });
  const as = (key) => ({ authorization: `Bearer ${key}` });
  try {
    assert.equal((await chat(gw.url, { messages: user('one') }, as('sk-team-a'))).status, 200);
    assert.equal((await chat(gw.url, { messages: user('two') }, as('sk-team-a'))).status, 200);
    const third = await chat(gw.url, { messages: user('three') }, as('sk-team-a'));
    assert.equal(third.status, 429, third.body);
    assert.equal(JSON.parse(third.body).error.code, 'rate_limit_exceeded');
    assert.ok(Number(third.headers['retry-after']) >= 1 && Number(third.headers['retry-after']) <= 30, third.headers['retry-after']);
    assert.equal((await chat(gw.url, { messages: user('master key has no limits') })).status, 200);
    // Listing models is not a model request: not counted.
    assert.equal((await rawRequest(gw.url, { method: 'GET', path: '/v1/models', headers: as('sk-team-a') })).status, 200);

    assert.equal((await chat(gw.url, { model: 'default', messages: user('allowed') }, as('sk-only-default'))).status, 200);
    const denied = await chat(gw.url, { model: 'gpt-4o-mini', messages: user('not mine') }, as('sk-only-default'));
    assert.equal(denied.status, 403);
    assert.equal(JSON.parse(denied.body).error.code, 'model_not_allowed');
    const anthropic = await rawRequest(gw.url, { path: '/v1/messages', headers: { 'x-api-key': 'sk-only-default', authorization: '' },
      body: { model: 'gpt-4o-mini', max_tokens: 10, messages: [{ role: 'user', content: 'x' }] } });
    assert.equal(anthropic.status, 403);
    assert.equal(JSON.parse(anthropic.body).error.type, 'permission_error');

    const slow = chat(gw.url, { stream: true, messages: user('[scenario:slow] a b c d e f') }, as('sk-solo'));
    await sleep(300);
    const second = await chat(gw.url, { messages: user('me too') }, as('sk-solo'));
    assert.equal(second.status, 429);
    assert.match(JSON.parse(second.body).error.message, /1 requests at once/);
    assert.equal((await slow).status, 200);
    assert.equal((await chat(gw.url, { messages: user('now') }, as('sk-solo'))).status, 200);

    const m = (await metricsOf(gw.url)).body;
    assert.ok(sample(m, 'switchyard_tokens_total', { key: 'team-a', kind: 'prompt' }) > 0);
    assert.equal(sample(m, 'switchyard_requests_total', { route: '/v1/chat/completions', status: '429' }), 2);
  } finally {
    await gw.stop();
  }
});

test('/metrics without ADMIN_KEY refuses web pages, rebound hosts and proxied requests', async () => {
  const gw = await startGateway({ emulator });
  try {
    assert.equal((await metricsOf(gw.url)).status, 200);
    for (const headers of [{ origin: 'http://evil.example' }, { host: 'evil.example:80' }, { 'x-forwarded-for': '203.0.113.9' },
      { forwarded: 'for=203.0.113.9' }]) {
      assert.equal((await metricsOf(gw.url, headers)).status, 401, JSON.stringify(headers));
    }
    assert.equal((await rawRequest(gw.url, { method: 'GET', path: '/v1/metrics' })).status, 404);
  } finally {
    await gw.stop();
  }
});

test('credentials: least-loaded healthy first; cooling with Retry-After, failing, dead; listed masked; probes; metrics', async () => {
  const tokens = ['good-token-1111', 'revoked-token-3333', 'good-token-2222'];
  const up = await startEmulator(['--tokens', 'good-token-1111,good-token-2222']);
  const gw = await startGateway({ emulator: up, env: { FLOWGPT_BEARER_TOKEN: tokens.join(','), CREDENTIAL_DEAD_AFTER: '2', ADMIN_KEY } });
  const admin = { authorization: `Bearer ${ADMIN_KEY}` };
  const credentials = async () => {
    const r = await rawRequest(gw.url, { method: 'GET', path: '/admin/credentials', headers: admin });
    assert.equal(r.status, 200, r.body);
    for (const t of tokens) assert.ok(!r.body.includes(t), 'credentials are masked');
    return Object.fromEntries(JSON.parse(r.body).data.filter((c) => c.provider === 'flowgpt').map((c) => [c.credential, c]));
  };
  const chats = async () => (await up.events()).filter((e) => e.type === 'chat').length;
  try {
    // Operator routes take the admin key, not a client key.
    assert.equal((await rawRequest(gw.url, { method: 'GET', path: '/admin/credentials' })).status, 401);
    assert.equal((await rawRequest(gw.url, { method: 'GET', path: '/admin/credentials', headers: { authorization: '' } })).status, 401);
    for (let i = 0; i < 3; i++) assert.equal((await chat(gw.url, { messages: user(`hello ${i}`) })).status, 200);
    let c = await credentials();
    assert.equal(c['…3333'].state, 'failing');
    assert.equal(c['…3333'].consecutive_failures, 1);
    assert.match(c['…3333'].reason, /refused 1 time\(s\) in a row: FlowGPT refused the token \(HTTP 401/);
    assert.equal(c['…1111'].state, 'healthy');
    assert.equal(c['…1111'].requests + c['…2222'].requests, 3);
    assert.ok(c['…1111'].last_used > Date.now() / 1000 - 60);

    // FlowGPT says 429 with Retry-After: 7 (per message here; a real limit holds for the account).
    const limited = await chat(gw.url, { messages: user('[scenario:429] slow down') });
    assert.equal(limited.status, 429);
    assert.equal(limited.headers['retry-after'], '7');
    c = await credentials();
    assert.equal(c['…1111'].state, 'cooling');
    assert.equal(c['…2222'].state, 'cooling');
    assert.match(c['…2222'].reason, /^rate_limited: /);
    assert.ok(Math.abs(c['…2222'].cooling_until - (Date.now() / 1000 + 7)) <= 2, `${c['…2222'].cooling_until}`);
    assert.equal(c['…3333'].state, 'dead');

    // While every one cools or is dead, requests are answered at once and nothing goes upstream.
    const before = await chats();
    const waiting = await chat(gw.url, { messages: user('anyone?') });
    assert.equal(waiting.status, 429);
    assert.ok(Number(waiting.headers['retry-after']) >= 1 && Number(waiting.headers['retry-after']) <= 7);
    assert.equal(await chats(), before);

    const metrics = (await metricsOf(gw.url, admin)).body;
    assert.equal(sample(metrics, 'switchyard_upstream_credentials', { provider: 'flowgpt', state: 'cooling' }), 2);
    assert.equal(sample(metrics, 'switchyard_upstream_credentials', { provider: 'flowgpt', state: 'dead' }), 1);
    assert.equal(sample(metrics, 'switchyard_upstream_credentials', { provider: 'flowgpt', state: 'healthy' }), 0);

    // An operator's probe: the revoked token stays dead; a good one is healthy again at once.
    const probe = async (id) => rawRequest(gw.url, { path: `/admin/credentials/${id}/probe`, headers: admin });
    const dead = JSON.parse((await probe('flowgpt:1')).body);
    assert.deepEqual([dead.ok, dead.error.reason, dead.credential.state], [false, 'credential_rejected', 'dead']);
    const probed = JSON.parse((await probe('flowgpt:0')).body);
    assert.deepEqual([probed.ok, probed.credential.state, probed.credential.credential], [true, 'cooling', '…1111']);
    const reset = await rawRequest(gw.url, { path: '/admin/credentials/flowgpt:0/reset', headers: admin });
    assert.equal(JSON.parse(reset.body).credential.state, 'healthy');
    assert.equal((await up.events()).filter((e) => e.type === 'conversation_created').length > 0, true);
    assert.equal(await chats(), before, 'a probe spends no chat');
    assert.equal((await chat(gw.url, { messages: user('back') })).status, 200);
    assert.equal((await probe('flowgpt:9')).status, 404);
    assert.equal(JSON.parse((await probe('flowgpt:9')).body).error.code, 'credential_not_found');
    assert.equal((await rawRequest(gw.url, { method: 'GET', path: '/admin/credentials/flowgpt:0/probe', headers: admin })).status, 405);
    assert.equal((await rawRequest(gw.url, { method: 'GET', path: '/admin/nothing', headers: admin })).status, 404);
    assert.equal((await rawRequest(gw.url, { path: '/admin/credentialsXflowgpt:0/probe', headers: admin })).status, 404);
  } finally {
    await gw.stop();
    await up.stop();
  }
});

test('CREDENTIAL_MAX_CONCURRENT: a credential busy with that many exchanges is not used for another', async () => {
  const gw = await startGateway({ emulator, env: { CREDENTIAL_MAX_CONCURRENT: '1' } });
  try {
    const slow = chat(gw.url, { stream: true, messages: user('[scenario:slow] one two three four five six seven eight nine ten') });
    await sleep(300);
    const busy = await chat(gw.url, { messages: user('me too') });
    assert.equal(busy.status, 429, busy.body);
    assert.equal(busy.headers['retry-after'], '1');
    assert.match(JSON.parse(busy.body).error.message, /busy/);
    assert.equal((await slow).status, 200);
    assert.equal((await chat(gw.url, { messages: user('now') })).status, 200);
  } finally {
    await gw.stop();
  }
});

test('SIGHUP reloads keys, credentials and the model map; open streams finish on what they started with', async () => {
  const model = (id) => ({ id, provider: 'flowgpt', upstream_id: 'uzNcMUGo4sOwl4GFvRpm8' });
  const guest = { id: 'guest', provider: 'chatgptfree', upstream_id: '25874' };
  const up = await startEmulator(['--tokens', 'token-before-1111,token-after-2222,token-after-3333']);
  const gw = await startGateway({
    emulator: up,
    env: { API_MASTER_KEY: undefined, FLOWGPT_BEARER_TOKEN: undefined, LOG_LEVEL: 'info', CHATGPTFREE_BASE_URL: up.url },
    dotenv: 'API_MASTER_KEY=sk-before\nFLOWGPT_BEARER_TOKEN=token-before-1111\n',
    config: { models: [model('first'), guest] },
  });
  const as = (key) => ({ authorization: `Bearer ${key}` });
  const models = async (key) => rawRequest(gw.url, { method: 'GET', path: '/v1/models', headers: as(key) });
  const flowgptCredentials = async () => JSON.parse((await rawRequest(gw.url, { method: 'GET', path: '/admin/credentials' })).body).data
    .filter((c) => c.provider === 'flowgpt').map((c) => c.credential);
  try {
    assert.deepEqual(await flowgptCredentials(), ['…1111']);
    const words = Array.from({ length: 30 }, (_, i) => `w${i}`).join(' ');
    const open = chat(gw.url, { model: 'first', stream: true, messages: user(`[scenario:slow] ${words}`) }, as('sk-before'));
    await sleep(400); // the stream is under way

    // The guest session cools (quota); a reload keeps that, as the upstream asked for it.
    assert.equal((await chat(gw.url, { model: 'guest', messages: user('[scenario:quota] q') }, as('sk-before'))).status, 429);
    writeFileSync(join(gw.dir, '.env'), 'API_MASTER_KEY=sk-after\nFLOWGPT_BEARER_TOKEN=token-after-2222,token-after-3333\n');
    const file = join(gw.dir, 'switchyard.json');
    const configured = JSON.parse(readFileSync(file, 'utf8'));
    writeFileSync(file, JSON.stringify({ ...configured, models: [model('second'), guest] }));
    gw.proc.kill('SIGHUP');
    for (let i = 0; i < 100 && (await models('sk-after')).status !== 200; i++) await sleep(50);

    assert.equal((await models('sk-before')).status, 401);
    assert.deepEqual(JSON.parse((await models('sk-after')).body).data.map((m) => m.id), ['second', 'guest']);
    assert.equal((await chat(gw.url, { model: 'first', messages: user('x') }, as('sk-after'))).status, 404);
    const second = await chat(gw.url, { model: 'second', messages: user('x') }, as('sk-after'));
    assert.equal(second.status, 200, second.body + gw.proc.logs);
    assert.deepEqual(await flowgptCredentials(), ['…2222', '…3333']);
    const guestCredential = JSON.parse((await rawRequest(gw.url, { method: 'GET', path: '/admin/credentials' })).body).data
      .find((c) => c.provider === 'chatgptfree');
    assert.equal(guestCredential.state, 'cooling', 'a reload keeps the cooling the upstream asked for');
    for (let i = 0; i < 60 && !/reloaded:/.test(gw.proc.logs); i++) await sleep(50); // lines are written in batches
    assert.match(gw.proc.logs, /reloaded: 1 client key\(s\), 2 model\(s\), 3 upstream credential\(s\)/);

    const streamed = await open;
    assert.equal(streamed.status, 200);
    const { events, json } = parseSse(streamed.body);
    assert.equal(events.at(-1), '[DONE]');
    assert.match(contentOf(json), /w29 \| context: 1 messages \[user\] \| temperature: 0\.70$/);
    assert.equal(json.at(-1).error, undefined);

    // A broken file is refused, and the running configuration stays.
    writeFileSync(file, '{ "models": [ ');
    gw.proc.kill('SIGHUP');
    for (let i = 0; i < 100 && !/reload failed/.test(gw.proc.logs); i++) await sleep(50);
    assert.match(gw.proc.logs, /reload failed; the running configuration stays: .*switchyard\.json/);
    assert.equal((await chat(gw.url, { model: 'second', messages: user('still') }, as('sk-after'))).status, 200);
  } finally {
    await gw.stop();
    await up.stop();
  }
});

test('usage statistics: per hour, key and model in the store, GET /admin/usage grouped as asked, kept across a restart', async () => {
  const config = { keys: [{ name: 'team-a', key: 'sk-team-a' }] };
  let gw = await startGateway({ emulator, config });
  const usage = async (query) => {
    const r = await rawRequest(gw.url, { method: 'GET', path: `/admin/usage${query}` });
    return { status: r.status, body: JSON.parse(r.body) };
  };
  try {
    const teamA = { authorization: 'Bearer sk-team-a' };
    assert.equal((await chat(gw.url, { messages: user('one') }, teamA)).status, 200);
    assert.equal((await chat(gw.url, { messages: user('two') }, teamA)).status, 200);
    assert.equal((await chat(gw.url, { messages: user('[scenario:500] three') }, teamA)).status, 502);
    const streamed = await chat(gw.url, { stream: true, messages: user('four') });
    assert.equal(streamed.status, 200);
    assert.equal((await chat(gw.url, { model: 'nope', messages: user('x') })).status, 404); // no model, no usage

    const byKey = await usage('?group_by=key,model');
    assert.equal(byKey.status, 200);
    assert.deepEqual(byKey.body.group_by, ['key', 'model']);
    const rows = Object.fromEntries(byKey.body.data.map((r) => [`${r.key}/${r.model}`, r]));
    assert.deepEqual(Object.keys(rows).sort(), ['key1/default', 'team-a/default']);
    assert.equal(rows['team-a/default'].requests, 3);
    assert.equal(rows['team-a/default'].errors, 1);
    assert.ok(rows['team-a/default'].prompt_tokens > 0 && rows['team-a/default'].completion_tokens > 0);
    assert.equal(rows['team-a/default'].estimated_tokens, rows['team-a/default'].prompt_tokens + rows['team-a/default'].completion_tokens);
    assert.equal(rows['team-a/default'].streamed_bytes, 0);
    assert.equal(rows['key1/default'].streamed_bytes, Buffer.byteLength(streamed.body));
    assert.equal(byKey.body.total.requests, 4);

    const byHour = await usage('');
    assert.deepEqual(byHour.body.group_by, ['hour']);
    assert.equal(byHour.body.data.length, 1);
    const hour = new Date(); hour.setUTCMinutes(0, 0, 0);
    assert.equal(byHour.body.data[0].hour, hour.toISOString().replace('.000Z', 'Z'));
    assert.equal(byHour.body.data[0].key, undefined);
    assert.equal(byHour.body.data[0].requests, 4);

    const later = await usage(`?from=${Math.floor(Date.now() / 1000) + 7200}&to=${Math.floor(Date.now() / 1000) + 9000}`);
    assert.deepEqual(later.body.data, []);
    const encoded = await usage('?group_by=hour%2Ckey&from=2020-01-01T00%3A00%3A00Z'); // as URLSearchParams writes it
    assert.equal(encoded.status, 200);
    assert.deepEqual(encoded.body.group_by, ['hour', 'key']);
    for (const [query, param] of [['?group_by=nope', 'group_by'], ['?from=yesterday', 'from'], ['?from=2026-12-07&to=2026-12-06', 'to'],
      ['?from=-9223372036854775808', 'from'], ['?from=2026-02-31', 'from'], ['?from=2026-12-07T-1:00:00Z', 'from'], ['?to=99999999999999', 'to']]) {
      const bad = await usage(query);
      assert.equal(bad.status, 400, query);
      assert.equal(bad.body.error.param, param);
    }
    assert.equal((await usage('?from=2020-01-01&to=2020-01-02T00:00:00Z')).status, 200);

    await gw.stop();
    gw = await startGateway({ emulator, config, dir: gw.dir });
    assert.equal((await usage('?group_by=key')).body.total.requests, 4, 'kept in the store across a restart');
  } finally {
    await gw.stop();
  }
});

test('failover: a model with routes moves to the next one before the commit point, never after; /v1/models shows health and capabilities', async () => {
  const routes = [{ provider: 'flowgpt', upstream_id: 'uzNcMUGo4sOwl4GFvRpm8' }, { provider: 'lab', upstream_id: 'emu-small' }];
  const config = {
    models: [{ id: 'fo', routes }, { id: 'solo', provider: 'flowgpt', upstream_id: 'uzNcMUGo4sOwl4GFvRpm8' }],
    providers: { openai: [{ name: 'lab', base_url: `${emulator.url}/v1`, models: [] }] },
  };
  const gw = await startGateway({ emulator, config });
  const answer = (r) => JSON.parse(r.body).choices[0].message.content;
  try {
    assert.match(answer(await chat(gw.url, { model: 'fo', messages: user('plain') })), /^echo: plain \| context: 1 messages/);
    // FlowGPT fails before answering: the OpenAI-compatible route answers.
    const moved = await chat(gw.url, { model: 'fo', messages: user('[scenario:500] please') });
    assert.equal(moved.status, 200, moved.body);
    // The route's failure is counted under its provider; the exchange itself did not fail.
    const failures = sample((await metricsOf(gw.url)).body, 'switchyard_upstream_failures_total', { provider: 'flowgpt', reason: 'upstream_failed' });
    assert.equal(failures, 1);
    const listedErrors = JSON.parse((await rawRequest(gw.url, { method: 'GET', path: '/admin/errors' })).body).data;
    assert.ok(!listedErrors.some((e) => e.status === 200), 'an answered exchange is not an error');
    assert.match(answer(moved), /^echo: \[scenario:500\] please \| model emu-small \| messages 1/);
    const streamed = await chat(gw.url, { model: 'fo', stream: true, messages: user('[scenario:garbage] s') });
    assert.equal(streamed.status, 200);
    assert.match(contentOf(parseSse(streamed.body).json), /model emu-small/);
    // A model without a second route keeps the error.
    assert.equal((await chat(gw.url, { model: 'solo', messages: user('[scenario:500] x') })).status, 502);
    // After the first token there is no moving on: the in-band error stays.
    const words = Array.from({ length: 80 }, (_, i) => `w${i}`).join(' ');
    const cut = await chat(gw.url, { model: 'fo', stream: true, messages: user(`[scenario:disconnect] ${words}`) });
    assert.equal(cut.status, 200);
    const cutJson = parseSse(cut.body).json;
    assert.equal(cutJson.at(-1).error.code, 'upstream_error');
    assert.doesNotMatch(contentOf(cutJson), /emu-small/);

    // A stored conversation: the turn answered elsewhere carries the whole history there, and the
    // next turn back on FlowGPT starts a fresh upstream conversation from the history.
    const conv = JSON.parse((await rawRequest(gw.url, { path: '/v1/conversations', body: {} })).body);
    assert.match(answer(await chat(gw.url, { model: 'fo', conversation_id: conv.id, messages: user('one') })), /context: 1 messages/);
    assert.match(answer(await chat(gw.url, { model: 'fo', conversation_id: conv.id, messages: user('[scenario:500] two') })),
      /model emu-small \| messages 3/);
    assert.match(answer(await chat(gw.url, { model: 'fo', conversation_id: conv.id, messages: user('three') })),
      /^echo: three \| context: 5 messages \[user,assistant,user,assistant,user\]/);

    const listed = JSON.parse((await rawRequest(gw.url, { method: 'GET', path: '/v1/models' })).body).data;
    const fo = listed.find((m) => m.id === 'fo');
    assert.equal(fo.object, 'model');
    assert.equal(fo.owned_by, 'flowgpt');
    assert.deepEqual(fo.health, { status: 'up', routes_up: 2, routes: [{ provider: 'flowgpt', up: true }, { provider: 'lab', up: true }] });
    assert.deepEqual(fo.capabilities, { streaming: true, images: false, tools: 'emulated', reasoning: 'split', web_search: false });
    const one = JSON.parse((await rawRequest(gw.url, { method: 'GET', path: '/v1/models/fo' })).body);
    assert.deepEqual(one.health, fo.health);
  } finally {
    await gw.stop();
  }

  // FlowGPT without a token: its route is passed over, and /v1/models says the model is degraded.
  const half = await startGateway({ emulator, config, env: { FLOWGPT_BEARER_TOKEN: undefined } });
  try {
    const r = await chat(half.url, { model: 'fo', messages: user('anyone') });
    assert.equal(r.status, 200, r.body);
    assert.match(answer(r), /model emu-small/);
    assert.equal((await chat(half.url, { model: 'solo', messages: user('x') })).status, 503);
    const fo = JSON.parse((await rawRequest(half.url, { method: 'GET', path: '/v1/models/fo' })).body);
    assert.deepEqual(fo.health, { status: 'degraded', routes_up: 1, routes: [{ provider: 'flowgpt', up: false }, { provider: 'lab', up: true }] });
    const solo = JSON.parse((await rawRequest(half.url, { method: 'GET', path: '/v1/models/solo' })).body);
    assert.equal(solo.health.status, 'down');
  } finally {
    await half.stop();
  }
});

test('the dashboard is served from the binary; its own origin counts as this machine, another does not; /admin/errors and /admin/status', async () => {
  const gw = await startGateway({ emulator, env: { API_MASTER_KEY: undefined } });
  try {
    const page = await rawRequest(gw.url, { method: 'GET', path: '/', headers: { authorization: '' } });
    assert.equal(page.status, 200);
    assert.match(page.headers['content-type'], /^text\/html/);
    assert.match(page.body, /<script src="\/ui\/app.js" defer><\/script>/);
    assert.equal((await rawRequest(gw.url, { method: 'GET', path: '/ui/app.js' })).headers['content-type'], 'text/javascript; charset=utf-8');
    assert.equal((await rawRequest(gw.url, { method: 'GET', path: '/ui/missing.js' })).status, 404);
    assert.equal((await rawRequest(gw.url, { method: 'POST', path: '/' })).status, 405);

    const own = `http://127.0.0.1:${gw.port}`;
    const asPage = (origin) => ({ origin, host: `127.0.0.1:${gw.port}` });
    assert.equal((await rawRequest(gw.url, { method: 'GET', path: '/admin/status', headers: asPage(own) })).status, 200);
    assert.equal((await chat(gw.url, { messages: user('from the page') }, asPage(own))).status, 200);
    assert.equal((await rawRequest(gw.url, { method: 'GET', path: '/admin/status', headers: asPage('http://evil.example') })).status, 403);
    assert.equal((await chat(gw.url, { messages: user('x') }, asPage('http://evil.example'))).status, 403);

    assert.equal((await chat(gw.url, { messages: user('[scenario:500] fails') })).status, 502);
    const errors = JSON.parse((await rawRequest(gw.url, { method: 'GET', path: '/admin/errors' })).body).data;
    assert.deepEqual([errors[0].status, errors[0].route, errors[0].model, errors[0].provider, errors[0].reason],
      [502, '/v1/chat/completions', 'default', 'flowgpt', 'upstream_failed']);
    assert.match(errors[0].request_id, /^req_/);
    const status = JSON.parse((await rawRequest(gw.url, { method: 'GET', path: '/admin/status' })).body);
    assert.equal(status.open_streams, 0);
    assert.ok(status.started_at <= Date.now() / 1000 && status.started_at > Date.now() / 1000 - 120);
  } finally {
    await gw.stop();
  }
});

test('promtool (Debian\'s prometheus) accepts the /metrics page with every family in use', async () => {
  const promtool = spawnSync('promtool', ['--version']);
  assert.equal(promtool.status, 0, 'promtool is not installed (scripts/install-deps.sh installs prometheus)');
  const gw = await startGateway({ emulator, config: { keys: [{ name: 'team-a', key: 'sk-team-a' }] } });
  try {
    assert.equal((await chat(gw.url, { messages: user('plain') }, { authorization: 'Bearer sk-team-a' })).status, 200);
    assert.equal((await chat(gw.url, { stream: true, messages: user('streamed') })).status, 200);
    assert.equal((await chat(gw.url, { messages: user('[scenario:429] limited') })).status, 429);
    await rawRequest(gw.url, { path: '/v1/conversations', body: {} }); // a store call
    const page = (await metricsOf(gw.url)).body;
    for (const family of ['switchyard_requests_total', 'switchyard_request_duration_seconds', 'switchyard_time_to_first_byte_seconds',
      'switchyard_time_to_first_token_seconds', 'switchyard_open_streams', 'switchyard_upstream_failures_total',
      'switchyard_tokens_total', 'switchyard_store_call_seconds', 'switchyard_upstream_credentials'])
      assert.match(page, new RegExp(`^# TYPE ${family} `, 'm'), family);
    const checked = spawnSync('promtool', ['check', 'metrics'], { input: page, encoding: 'utf8' });
    assert.equal(checked.status, 0, `${checked.stdout}${checked.stderr}`);
    assert.equal(`${checked.stdout}${checked.stderr}`.trim(), '', 'no lint findings either');
  } finally {
    await gw.stop();
  }
});
