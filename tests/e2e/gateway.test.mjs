// End to end: the real switchyard binary in front of the real emulator, over loopback.
import { test, before, after } from 'node:test';
import net from 'node:net';
import http from 'node:http';
import assert from 'node:assert/strict';
import {
  API_KEY, startEmulator, startGateway, rawRequest, chat, user, parseSse, contentOf, runGateway, reviveCredentials,
} from './harness.mjs';

let emulator;
let gateway;

before(async () => {
  emulator = await startEmulator();
  gateway = await startGateway({ emulator });
});
after(async () => {
  await gateway?.stop();
  await emulator?.stop();
});

test('health needs no key; models need one', async () => {
  const health = await rawRequest(gateway.url, { method: 'GET', path: '/healthz', headers: { authorization: '' } });
  assert.equal(health.status, 200);
  const denied = await rawRequest(gateway.url, { method: 'GET', path: '/v1/models', headers: { authorization: '' } });
  assert.equal(denied.status, 401);
  assert.equal(JSON.parse(denied.body).error.code, 'invalid_api_key');
  const models = await rawRequest(gateway.url, { method: 'GET', path: '/v1/models' });
  assert.equal(models.status, 200);
  assert.match(models.headers['content-type'], /application\/json/);
  const list = JSON.parse(models.body);
  assert.equal(list.object, 'list');
  assert.deepEqual(list.data.filter((m) => m.owned_by === 'flowgpt').map((m) => m.id), ['default', 'gpt-4-free', 'chatgpt-5-pro', 'aisuperior']);
  for (const m of list.data) {
    assert.equal(m.object, 'model');
    assert.equal(typeof m.created, 'number');
  }
});

test('auth accepts bearer in any case, x-api-key, and rejects streams with JSON', async () => {
  for (const headers of [{ authorization: `bEaReR   ${API_KEY} ` }, { authorization: '', 'x-api-key': API_KEY }]) {
    const r = await rawRequest(gateway.url, { method: 'GET', path: '/v1/models/default', headers });
    assert.equal(r.status, 200, JSON.stringify(headers));
    assert.equal(JSON.parse(r.body).id, 'default');
  }
  const bad = await chat(gateway.url, { stream: true, messages: user('hi') }, { authorization: 'Bearer wrong' });
  assert.equal(bad.status, 401);
  assert.match(bad.headers['content-type'], /application\/json/);
  assert.equal(JSON.parse(bad.body).error.code, 'invalid_api_key');
});

test('every response carries x-request-id and CORS; preflight echoes requested headers', async () => {
  const pre = await rawRequest(gateway.url, {
    method: 'OPTIONS', headers: { origin: 'http://app.example', 'access-control-request-method': 'POST',
      'access-control-request-headers': 'authorization, content-type, x-stainless-os, x-stainless-retry-count' },
  });
  assert.equal(pre.status, 204);
  assert.equal(pre.headers['access-control-allow-headers'], 'authorization, content-type, x-stainless-os, x-stainless-retry-count');
  assert.match(pre.headers['access-control-allow-methods'], /POST/);
  for (const r of [pre, await rawRequest(gateway.url, { method: 'GET', path: '/nope' }), await chat(gateway.url, { messages: user('hi') })]) {
    assert.match(r.headers['x-request-id'], /^req_[0-9a-f]{24}$/);
    assert.equal(r.headers['access-control-allow-origin'], '*');
  }
});

test('unknown paths are 404 and wrong methods 405, both JSON envelopes', async () => {
  const missing = await rawRequest(gateway.url, { method: 'POST', path: '/v1/completions', body: {} });
  assert.equal(missing.status, 404);
  assert.equal(JSON.parse(missing.body).error.message, 'Invalid URL (POST /v1/completions)');
  const wrong = await rawRequest(gateway.url, { method: 'GET', path: '/v1/chat/completions' });
  assert.equal(wrong.status, 405);
  assert.equal(JSON.parse(wrong.body).error.type, 'invalid_request_error');
  const model = await rawRequest(gateway.url, { method: 'GET', path: '/v1/models/nope' });
  assert.equal(model.status, 404);
  assert.equal(JSON.parse(model.body).error.code, 'model_not_found');
});

test('bad requests get 400 with the offending param', async () => {
  const cases = [
    ['{"model":', null, 'invalid_json'],
    [{ messages: user('x'), model: undefined }, 'model', 'missing_required_parameter'],
    [{ model: 'default' }, 'messages', 'missing_required_parameter'],
    [{ model: 'default', messages: [] }, 'messages', 'invalid_value'],
    [{ model: 'default', messages: [{ role: 'robot', content: 'x' }] }, 'messages[0].role', 'invalid_value'],
    [{ model: 'default', messages: user('x'), n: 2 }, 'n', 'unsupported_value'],
    [{ model: 'default', messages: user('x'), tool_choice: 'required' }, 'tool_choice', 'invalid_value'], // required, but no tools given
    [{ model: 'default', messages: [{ role: 'user', content: [{ type: 'text', text: 'x' }, { type: 'image_url', image_url: { url: 'data:image/png;base64,AAAA' } }] }] },
      'messages[0].content[1].type', 'unsupported_value'],
  ];
  for (const [body, param, code] of cases) {
    const r = await rawRequest(gateway.url, { body });
    assert.equal(r.status, 400, JSON.stringify(body));
    const err = JSON.parse(r.body).error;
    assert.equal(err.param, param, JSON.stringify(body));
    assert.equal(err.code, code, JSON.stringify(body));
    assert.equal(typeof err.message, 'string');
  }
  const unknown = await chat(gateway.url, { model: 'gpt-99', messages: user('x') });
  assert.equal(unknown.status, 404);
  assert.equal(JSON.parse(unknown.body).error.code, 'model_not_found');
});

test('non-streaming answer carries the injected context and the chat.completion shape', async () => {
  const r = await chat(gateway.url, {
    temperature: 0.3,
    messages: [{ role: 'developer', content: 'be brief' }, { role: 'user', content: 'first' },
      { role: 'assistant', content: 'ok' }, { role: 'user', content: [{ type: 'text', text: 'second' }, { type: 'text', text: 'part' }] }],
    unknown_field: 1,
  });
  assert.equal(r.status, 200, r.body);
  assert.equal(r.headers['x-switchyard-usage'], 'estimated');
  const body = JSON.parse(r.body);
  assert.match(body.id, /^chatcmpl-[A-Za-z0-9]{29}$/);
  assert.equal(body.object, 'chat.completion');
  assert.ok(Number.isInteger(body.created));
  assert.equal(body.model, 'default');
  assert.equal(body.choices[0].finish_reason, 'stop');
  assert.equal(body.choices[0].message.role, 'assistant');
  assert.equal(body.choices[0].message.content,
    'echo: second\npart | context: 4 messages [system,user,assistant,user] | system: be brief | temperature: 0.30');
  const u = body.usage;
  assert.equal(u.total_tokens, u.prompt_tokens + u.completion_tokens);
  assert.equal(u.completion_tokens, Math.ceil([...body.choices[0].message.content].length / 4));
});

test('streaming bytes follow the contract exactly', async () => {
  const r = await chat(gateway.url, { stream: true, stream_options: { include_usage: true }, messages: user('stream me') });
  assert.equal(r.status, 200);
  assert.match(r.headers['content-type'], /^text\/event-stream/);
  assert.equal(r.headers['cache-control'], 'no-cache');
  assert.equal(r.headers['x-accel-buffering'], 'no');
  assert.equal(r.headers['content-length'], undefined);
  assert.ok(r.body.endsWith('data: [DONE]\n\n'));
  assert.ok(!/^(event|id):/m.test(r.body), 'no event: or id: lines');
  const { events, json } = parseSse(r.body);
  assert.equal(events.at(-1), '[DONE]');
  assert.equal(new Set(json.map((c) => c.id)).size, 1);
  assert.equal(new Set(json.map((c) => c.created)).size, 1);
  assert.deepEqual(json[0].choices[0].delta, { role: 'assistant', content: '', refusal: null });
  const finish = json.at(-2);
  assert.equal(finish.choices[0].finish_reason, 'stop');
  assert.deepEqual(finish.choices[0].delta, {});
  const usage = json.at(-1);
  assert.deepEqual(usage.choices, []);
  assert.equal(usage.usage.total_tokens, usage.usage.prompt_tokens + usage.usage.completion_tokens);
  for (const c of json.slice(1, -2)) assert.equal(c.choices[0].finish_reason, null);
  assert.equal(contentOf(json), 'echo: stream me | context: 1 messages [user] | temperature: 0.70');
});

test('upstream byte splits and NDJSON oddities do not change the answer', async () => {
  const plain = JSON.parse((await chat(gateway.url, { messages: user('same text') })).body).choices[0].message.content;
  const tiny = await chat(gateway.url, { stream: true, messages: user('same text') });
  assert.equal(contentOf(parseSse(tiny.body).json), plain);
  const split = await chat(gateway.url, { stream: true, messages: user('[scenario:tiny-writes] same text') });
  assert.equal(contentOf(parseSse(split.body).json), plain.replace('echo: same text', 'echo: [scenario:tiny-writes] same text'));
  const utf = await chat(gateway.url, { stream: true, messages: user('[scenario:utf8-split]') });
  const utfChunks = parseSse(utf.body).json;
  assert.ok(contentOf(utfChunks).startsWith('héllo wörld 世界 🎉 echo:'), contentOf(utfChunks));
  assert.ok(!utf.body.includes('\ufffd'));
  const mixed = await chat(gateway.url, { messages: user('[scenario:mixed]') });
  assert.equal(JSON.parse(mixed.body).choices[0].message.content, 'first second third');
  const prefixed = await chat(gateway.url, { stream: true, messages: user('[scenario:prefix] hi') });
  assert.ok(contentOf(parseSse(prefixed.body).json).startsWith('echo: [scenario:prefix] hi |'));
});

test('upstream failures before the first token are real HTTP errors', async () => {
  const cases = [
    ['401', 502, 'upstream_auth_failed', 'false'],
    ['403', 502, 'upstream_auth_failed', 'false'],
    ['403-html', 502, 'upstream_auth_failed', 'false'],
    ['429', 429, 'rate_limit_exceeded', undefined],
    ['500', 502, 'upstream_error', undefined],
    ['garbage', 502, 'upstream_error', undefined],
  ];
  for (const stream of [false, true]) {
    for (const [scenario, status, code, retry] of cases) {
      const r = await chat(gateway.url, { stream, messages: user(`[scenario:${scenario}]`) });
      assert.equal(r.status, status, `${scenario} stream=${stream}: ${r.body}`);
      assert.match(r.headers['content-type'], /application\/json/);
      const err = JSON.parse(r.body).error;
      assert.equal(err.code, code, scenario);
      assert.equal(r.headers['x-should-retry'], retry, scenario);
      assert.ok(!/html|WAF|too many requests from/i.test(err.message), 'upstream bodies are never forwarded');
      if (scenario === '429') assert.equal(r.headers['retry-after'], '7');
      await reviveCredentials(gateway.url);
    }
  }
});

test('a mid-stream disconnect is an in-band error when streaming and a 502 otherwise', async () => {
  // Long enough that text passes the 150-character prefix look-ahead before the cut.
  const words = Array.from({ length: 80 }, (_, i) => `word${i}`).join(' ');
  const s = await chat(gateway.url, { stream: true, messages: user(`[scenario:disconnect] ${words}`) });
  assert.equal(s.status, 200);
  const { events, json } = parseSse(s.body);
  const last = json.at(-1);
  assert.equal(last.error.code, 'upstream_error');
  assert.equal(last.choices, undefined);
  assert.equal(events.at(-1), '[DONE]');
  assert.ok(!json.some((c) => c.choices?.[0]?.finish_reason === 'stop'), 'never a clean finish');
  const n = await chat(gateway.url, { messages: user(`[scenario:disconnect] ${words}`) });
  assert.equal(n.status, 502);
  assert.equal(JSON.parse(n.body).error.code, 'upstream_error');
});

test('stop and max_tokens are enforced on the relayed text', async () => {
  const stopped = JSON.parse((await chat(gateway.url, { messages: user('cut here'), stop: [' | context'] })).body);
  assert.equal(stopped.choices[0].message.content, 'echo: cut here');
  assert.equal(stopped.choices[0].finish_reason, 'stop');
  const limited = await chat(gateway.url, { stream: true, max_tokens: 2, messages: user('long answer please') });
  const chunks = parseSse(limited.body).json;
  assert.equal(contentOf(chunks), 'echo: lo');
  assert.equal(chunks.at(-1).choices[0].finish_reason, 'length');
});

test('keep-alive comments flow while the upstream thinks, after a bounded hold', async () => {
  const started = Date.now();
  const r = await chat(gateway.url, { stream: true, messages: user('[scenario:late] hi') });
  assert.equal(r.status, 200);
  const { comments, json } = parseSse(r.body);
  assert.ok(comments.length >= 1, r.body);
  assert.ok(comments.every((c) => c === ': keep-alive'));
  assert.ok(r.body.includes('}\n\n: keep-alive\n'), 'a comment line with a single newline, between events');
  assert.ok(Date.now() - started >= 800);
  assert.ok(contentOf(json).startsWith('echo: [scenario:late] hi'));
});

test('50 concurrent streams each receive exactly their own answer', async () => {
  const results = await Promise.all(Array.from({ length: 50 }, (_, i) =>
    chat(gateway.url, { stream: true, messages: user(`request number ${i} [scenario:tiny-writes]`) })));
  results.forEach((r, i) => {
    assert.equal(r.status, 200);
    assert.equal(contentOf(parseSse(r.body).json),
      `echo: request number ${i} [scenario:tiny-writes] | context: 1 messages [user] | temperature: 0.70`);
  });
});

test('a client abort closes the upstream connection within a second', async () => {
  const controller = new AbortController();
  const pending = fetch(`${gateway.url}/v1/chat/completions`, {
    method: 'POST', signal: controller.signal,
    headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'default', stream: true, messages: user('[scenario:stall] abort-marker') }),
  }).then((r) => r.text()).catch(() => 'aborted');
  await new Promise((r) => setTimeout(r, 500));
  const abortedAt = Date.now();
  controller.abort();
  await pending;
  let closed;
  while (!closed && Date.now() - abortedAt < 3000) {
    closed = (await emulator.events()).find((e) => e.type === 'client_closed');
    if (!closed) await new Promise((r) => setTimeout(r, 50));
  }
  assert.ok(closed, 'the emulator saw the upstream connection close');
  assert.ok(closed.at_ms - abortedAt < 1000, `closed ${closed.at_ms - abortedAt} ms after the abort`);
});

test('an oversized body gets a 413 JSON error', async () => {
  const small = await startGateway({ emulator, config: { server: { max_body_bytes: 4096 } } });
  try {
    const big = 'x'.repeat(8192);
    const r = await chat(small.url, { messages: user(big) });
    assert.equal(r.status, 413);
    assert.equal(JSON.parse(r.body).error.code, 'payload_too_large');
    const chunked = await rawRequest(small.url, { headers: { 'transfer-encoding': 'chunked' }, body: JSON.stringify({ model: 'default', messages: user(big) }) });
    assert.equal(chunked.status, 413);
    const ok = await chat(small.url, { messages: user('fits') });
    assert.equal(ok.status, 200);
  } finally {
    await small.stop();
  }
});

test('a FlowGPT model without a token is a 503 naming the variable', async () => {
  const bare = await startGateway({ emulator, env: { FLOWGPT_BEARER_TOKEN: undefined } });
  try {
    const r = await chat(bare.url, { messages: user('hi') });
    assert.equal(r.status, 503);
    assert.match(JSON.parse(r.body).error.message, /FLOWGPT_BEARER_TOKEN/);
  } finally {
    await bare.stop();
  }
});

test('a rejected token rests and the next one answers', async () => {
  const pool = await startGateway({ emulator, env: { FLOWGPT_BEARER_TOKEN: 'Bearer revoked-token,flowgpt-token-abcdef' } });
  try {
    for (let i = 0; i < 3; i++) {
      const r = await chat(pool.url, { messages: user(`pool ${i}`) });
      assert.equal(r.status, 200, r.body);
    }
    assert.ok(!pool.proc.logs.includes('revoked-token'), 'tokens never appear in logs');
  } finally {
    await pool.stop();
  }
});

test('every signature scheme is accepted by a matching upstream and a mismatch is rejected', async () => {
  for (const scheme of ['v1', 'v2', 'v3', 'none']) {
    const up = await startEmulator(['--signature', scheme]);
    const gw = await startGateway({ emulator: up, env: { FLOWGPT_SIGNATURE: scheme } });
    try {
      const r = await chat(gw.url, { messages: user(`signed ${scheme}`) });
      assert.equal(r.status, 200, `${scheme}: ${r.body}`);
    } finally {
      await gw.stop();
      await up.stop();
    }
  }
  const up = await startEmulator(['--signature', 'v1']);
  const gw = await startGateway({ emulator: up, env: { FLOWGPT_SIGNATURE: 'v2' } });
  try {
    const r = await chat(gw.url, { messages: user('mismatch') });
    assert.equal(r.status, 502);
    assert.equal(JSON.parse(r.body).error.code, 'upstream_auth_failed');
    assert.ok((await up.events()).some((e) => e.type === 'signature_rejected'));
  } finally {
    await gw.stop();
    await up.stop();
  }
});

test('an upstream that never answers is a 504', async () => {
  // The commit hold outlasts the timeout, so the failure is still a real status (the commit-point rule).
  const gw = await startGateway({ emulator, env: { API_REQUEST_TIMEOUT: '0.5' }, config: { stream: { commit_hold_ms: 2000, keepalive_interval_ms: 150 } } });
  try {
    for (const stream of [false, true]) {
      const r = await chat(gw.url, { stream, messages: user('[scenario:stall]') });
      assert.equal(r.status, 504, r.body);
      assert.equal(JSON.parse(r.body).error.code, 'upstream_timeout');
    }
  } finally {
    await gw.stop();
  }
});

test('SIGTERM lets a stream in flight finish, then exits 0', async () => {
  const gw = await startGateway({ emulator, config: { server: { shutdown_grace_ms: 5000 } } });
  const pending = chat(gw.url, { stream: true, messages: user('[scenario:slow] a b c d e') });
  await new Promise((r) => setTimeout(r, 300));
  gw.proc.kill('SIGTERM');
  const r = await pending;
  const chunks = parseSse(r.body).json;
  assert.equal(chunks.at(-1).choices[0].finish_reason, 'stop');
  assert.ok(r.body.endsWith('data: [DONE]\n\n'));
  assert.equal((await gw.proc.exited).code, 0);
  await assert.rejects(fetch(`${gw.url}/healthz`));
});

test('SIGTERM ends a stream that outlives the grace period with an in-band error and [DONE]', async () => {
  const gw = await startGateway({ emulator, config: { server: { shutdown_grace_ms: 300 } } });
  const pending = chat(gw.url, { stream: true, messages: user('[scenario:slow] a b c d e f g h i j k l m n o p') });
  await new Promise((r) => setTimeout(r, 700)); // past the 300 ms commit hold: the 200 is out
  gw.proc.kill('SIGTERM');
  const r = await pending;
  const { events, json } = parseSse(r.body);
  assert.equal(json.at(-1).error.code, 'server_shutting_down');
  assert.equal(events.at(-1), '[DONE]');
  assert.equal((await gw.proc.exited).code, 0);
});

test('.env is read from the working directory; $$ is an escaped $ and the real environment wins', async () => {
  const gw = await startGateway({ emulator, env: { API_MASTER_KEY: undefined, FLOWGPT_DEVICE_ID: undefined },
    dotenv: `API_MASTER_KEY="pa$$word,second"\nFLOWGPT_DEVICE_ID=AbCdEfGhIjKlMnOpQrStU\nFLOWGPT_BEARER_TOKEN=overridden-by-env\n` });
  try {
    const ok = await rawRequest(gw.url, { method: 'GET', path: '/v1/models', headers: { authorization: 'Bearer pa$word' } });
    assert.equal(ok.status, 200);
    const answer = await chat(gw.url, { messages: user('env') }, { authorization: 'Bearer second' });
    assert.equal(answer.status, 200, answer.body); // FLOWGPT_BEARER_TOKEN from the real environment won
  } finally {
    await gw.stop();
  }
});

test('start-up refuses a public address without keys, and bad flags exit 2', async () => {
  const open = await runGateway(['--listen', '0.0.0.0:0', '--config', '/nonexistent-but-default.json'], {});
  assert.equal(open.code, 2);
  const refused = await runGateway(['--listen', '0.0.0.0:0'], {});
  assert.equal(refused.code, 2);
  assert.match(refused.out, /API_MASTER_KEY/);
  const help = await runGateway(['--help']);
  assert.equal(help.code, 0);
  assert.match(help.out, /--listen HOST:PORT/);
  const version = await runGateway(['--version']);
  assert.match(version.out, /^switchyard \d+\.\d+\.\d+/);
  assert.equal((await runGateway(['--threads', 'many'])).code, 2);
});

test('HTTP_PROXY carries plain-http upstream requests in absolute form', async () => {
  const proxy = await startEmulator();
  const gw = await startGateway({ env: { FLOWGPT_BASE_URL: 'http://flowgpt.upstream.test:8081', HTTP_PROXY: proxy.url } });
  try {
    const r = await chat(gw.url, { messages: user('through the proxy') });
    assert.equal(r.status, 200, r.body);
    const proxied = (await proxy.events()).filter((e) => e.type === 'proxied');
    assert.deepEqual(proxied.map((e) => e.target),
      ['http://flowgpt.upstream.test:8081/conversation/create', 'http://flowgpt.upstream.test:8081/v3/chat']);
    assert.equal(proxied[0].host, 'flowgpt.upstream.test:8081');
  } finally {
    await gw.stop();
    await proxy.stop();
  }
});

function openSocket(port) {
  return new Promise((r, reject) => {
    const s = net.connect(port, '127.0.0.1', () => r(s));
    s.on('error', reject);
  });
}

test('connection limits: a silent connection is closed after the header timeout; past max_connections a 503', async () => {
  const gw = await startGateway({ emulator, config: { server: { header_timeout_ms: 300, max_connections: 2 } } });
  try {
    const silent = await openSocket(gw.port);
    const closedAfter = await new Promise((r) => { const t0 = Date.now(); silent.on('close', () => r(Date.now() - t0)); });
    assert.ok(closedAfter >= 250 && closedAfter < 2000, `closed after ${closedAfter} ms`);

    const held = [await openSocket(gw.port), await openSocket(gw.port)];
    await new Promise((r) => setTimeout(r, 50));
    const r = await rawRequest(gw.url, { method: 'GET', path: '/v1/models' });
    assert.equal(r.status, 503);
    assert.match(JSON.parse(r.body).error.message, /Too many open connections/);
    held.forEach((s) => s.destroy());
    await new Promise((r2) => setTimeout(r2, 100));
    assert.equal((await rawRequest(gw.url, { method: 'GET', path: '/v1/models' })).status, 200);
  } finally {
    await gw.stop();
  }
});

test('keep-alive: many requests reuse one client connection', async () => {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const ports = new Set();
  for (let i = 0; i < 5; i++) {
    const res = await new Promise((resolveReq, reject) => {
      const req = (agentRequest(agent, gateway.url, resolveReq));
      req.on('error', reject);
      req.end();
    });
    ports.add(res.localPort);
    assert.equal(res.status, 200);
  }
  agent.destroy();
  assert.equal(ports.size, 1);
});

function agentRequest(agent, url, done) {
  return http.request(new URL('/v1/models', url), { agent, headers: { authorization: `Bearer ${API_KEY}` } }, (res) => {
    const localPort = res.socket.localPort;
    res.resume();
    res.on('end', () => done({ status: res.statusCode, localPort }));
  });
}

test('https upstreams: the certificate is verified against the CA file, with SNI and host name checks', async () => {
  const up = await startEmulator([], { tls: true });
  try {
    const trusted = await startGateway({ env: { FLOWGPT_BASE_URL: up.tlsUrl, SWITCHYARD_CA_FILE: up.certFile } });
    try {
      const r = await chat(trusted.url, { messages: user('over tls') });
      assert.equal(r.status, 200, r.body);
      assert.match(JSON.parse(r.body).choices[0].message.content, /^echo: over tls/);
    } finally {
      await trusted.stop();
    }
    const untrusted = await startGateway({ env: { FLOWGPT_BASE_URL: up.tlsUrl } });
    try {
      const r = await chat(untrusted.url, { messages: user('unknown issuer') });
      assert.equal(r.status, 502);
      assert.equal(JSON.parse(r.body).error.code, 'upstream_error');
    } finally {
      await untrusted.stop();
    }
    // A trusted certificate issued to another name must still be refused.
    const other = await startEmulator(['--tls-cert-names', 'DNS:flowgpt.example'], { tls: true });
    const wrongName = await startGateway({ env: { FLOWGPT_BASE_URL: other.tlsUrl, SWITCHYARD_CA_FILE: other.certFile } });
    try {
      assert.equal((await chat(wrongName.url, { messages: user('wrong name') })).status, 502);
    } finally {
      await wrongName.stop();
      await other.stop();
    }
    const unchecked = await startGateway({ env: { FLOWGPT_BASE_URL: up.tlsUrl, SWITCHYARD_TLS_VERIFY: '0' } });
    try {
      assert.equal((await chat(unchecked.url, { messages: user('verification off') })).status, 200);
    } finally {
      await unchecked.stop();
    }
  } finally {
    await up.stop();
  }
});

test('NO_PROXY sends matching upstreams direct, others still through HTTP_PROXY (finding 14)', async () => {
  const proxy = await startEmulator();
  // The upstream is the shared emulator on 127.0.0.1; the proxy would carry it if NO_PROXY were ignored.
  const direct = await startGateway({ emulator, env: { HTTP_PROXY: proxy.url, NO_PROXY: 'example.com, 127.0.0.0/8' } });
  const proxied = await startGateway({ emulator, env: { HTTP_PROXY: proxy.url, NO_PROXY: 'example.com' } });
  try {
    const proxiedTargets = async () => (await proxy.events()).filter((e) => e.type === 'proxied').length;
    assert.equal((await chat(direct.url, { messages: user('direct') })).status, 200);
    assert.equal(await proxiedTargets(), 0, 'NO_PROXY 127.0.0.0/8 covers the upstream');
    assert.equal((await chat(proxied.url, { messages: user('proxied') })).status, 200);
    assert.equal(await proxiedTargets(), 2, 'an upstream NO_PROXY does not name goes through the proxy');
  } finally {
    await direct.stop();
    await proxied.stop();
    await proxy.stop();
  }
});

test('HTTPS_PROXY tunnels https upstream requests through CONNECT', async () => {
  const up = await startEmulator([], { tls: true });
  const proxy = await startEmulator();
  const gw = await startGateway({ env: { FLOWGPT_BASE_URL: up.tlsUrl, SWITCHYARD_CA_FILE: up.certFile, HTTPS_PROXY: proxy.url } });
  try {
    for (let i = 0; i < 3; i++) assert.equal((await chat(gw.url, { messages: user(`tunnelled ${i}`) })).status, 200);
    const tunnels = (await proxy.events()).filter((e) => e.type === 'tunnel');
    assert.ok(tunnels.length >= 1);
    assert.ok(tunnels.every((t) => t.target === up.tlsUrl.replace('https://', '')));
    assert.ok(tunnels.length < 6, `kept-alive tunnels are reused (${tunnels.length} for 6 upstream calls)`);
  } finally {
    await gw.stop();
    await proxy.stop();
    await up.stop();
  }
});

// The log goes to a pipe here, so it is written in batches: no line may be lost or held back
// for long, and a warning (with what came before it) goes out at once.
test('the access log reaches a pipe within about a second; a warning at once', async () => {
  const gw = await startGateway({ emulator, env: { LOG_LEVEL: 'info' } });
  try {
    const ids = [];
    for (let i = 0; i < 20; i++) ids.push((await chat(gw.url, { model: 'default', messages: user(`log ${i}`) })).headers['x-request-id']);
    const began = Date.now();
    while (!ids.every((id) => gw.proc.logs.includes(`[${id}] POST /v1/chat/completions 200`)) && Date.now() - began < 3000)
      await new Promise((r) => setTimeout(r, 50));
    const waited = Date.now() - began;
    assert.ok(ids.every((id) => gw.proc.logs.includes(`[${id}] POST /v1/chat/completions 200`)), gw.proc.logs.slice(-2000));
    assert.ok(waited < 1800, `access lines arrived after ${waited} ms`);

    // A warning flushes the batch: the access line of the request before it must be out too.
    const before = (await chat(gw.url, { model: 'default', messages: user('just before') })).headers['x-request-id'];
    await chat(gw.url, { model: 'default', messages: user('[scenario:garbage] x') }); // "malformed line(s)" at warn
    await new Promise((r) => setTimeout(r, 300));
    assert.match(gw.proc.logs, / warning .*malformed/);
    assert.ok(gw.proc.logs.includes(`[${before}] POST`), 'the line before the warning was flushed with it');
  } finally {
    await gw.stop();
  }
});

test('response heads on the wire: HEAD states the length and sends no body, 204 states none, one connection carries all', async () => {
  const s = await openSocket(gateway.port);
  let got = Buffer.alloc(0);
  s.on('data', (d) => { got = Buffer.concat([got, d]); });
  s.write('HEAD /healthz HTTP/1.1\r\nHost: t\r\n\r\n'
    + 'OPTIONS /v1/chat/completions HTTP/1.1\r\nHost: t\r\nOrigin: http://app.example\r\nAccess-Control-Request-Method: POST\r\n\r\n'
    + `GET /v1/models HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer ${API_KEY}\r\n\r\n`);
  // Reads one response off the front of `got`: a HEAD or 204 answer has no body whatever it says.
  const responses = [];
  const next = (bodiless) => {
    const end = got.indexOf('\r\n\r\n');
    if (end < 0) return false;
    const [startLine, ...fields] = got.subarray(0, end).toString('latin1').split('\r\n');
    const headers = Object.fromEntries(fields.map((f) => [f.slice(0, f.indexOf(':')).toLowerCase(), f.slice(f.indexOf(':') + 2)]));
    const length = bodiless ? 0 : Number(headers['content-length']);
    if (got.length < end + 4 + length) return false;
    responses.push({ startLine, headers, body: got.subarray(end + 4, end + 4 + length).toString('utf8') });
    got = got.subarray(end + 4 + length);
    return true;
  };
  const deadline = Date.now() + 5000;
  while (responses.length < 3 && Date.now() < deadline) {
    if (!next(responses.length < 2)) await new Promise((r) => setTimeout(r, 20));
  }
  s.destroy();
  assert.equal(responses.length, 3, `left over: ${got.toString('latin1')}`);
  const [head, preflight, models] = responses;
  assert.equal(head.startLine, 'HTTP/1.1 200 OK');
  assert.equal(head.headers['content-length'], '15'); // the length of {"status":"ok"}
  assert.equal(preflight.startLine, 'HTTP/1.1 204 No Content');
  assert.equal(preflight.headers['content-length'], undefined);
  assert.equal(models.startLine, 'HTTP/1.1 200 OK');
  assert.ok(JSON.parse(models.body).data.length > 0);
  assert.equal(got.length, 0, 'nothing after the last response');
});
