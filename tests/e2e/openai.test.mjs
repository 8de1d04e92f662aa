// The OpenAI-compatible provider in front of the emulator's OpenAI mode.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startEmulator, startGateway, rawRequest, chat, user, parseSse, contentOf, API_KEY, reviveCredentials } from './harness.mjs';
import http from 'node:http';
import net from 'node:net';

let emulator;
let gateway;

before(async () => {
  emulator = await startEmulator(['--openai-keys', 'sk-up-1', '--openai-tokens', '6']);
  gateway = await startGateway({
    env: { OPENAI_BASE_URL: `${emulator.url}/v1`, OPENAI_API_KEY: 'sk-up-revoked,sk-up-1' },
    config: { providers: { openai: [{ name: 'lab', base_url: `${emulator.url}/v1`, api_keys: ['sk-up-1'], models: ['emu-small'], prefix: 'lab/' }] } },
  });
});
after(async () => {
  await gateway?.stop();
  await emulator?.stop();
});

const answerOf = (r) => JSON.parse(r.body).choices[0].message.content;

test('models come from the upstream (models: "*") or the config, with a prefix', async () => {
  const list = JSON.parse((await rawRequest(gateway.url, { method: 'GET', path: '/v1/models' })).body).data;
  const owned = Object.fromEntries(list.map((m) => [m.id, m.owned_by]));
  assert.equal(owned['emu-small'], 'openai');
  assert.equal(owned['emu-large'], 'openai');
  assert.equal(owned['lab/emu-small'], 'lab');
  assert.equal(owned['lab/emu-large'], undefined);
});

test('non-streaming: fields pass through, model is mapped, upstream usage is kept', async () => {
  const r = await chat(gateway.url, { model: 'lab/emu-small', top_k: 7, messages: user('hello') });
  assert.equal(r.status, 200, r.body);
  assert.equal(answerOf(r), 'echo: hello | model emu-small | messages 1 | top_k 7 tok1 tok2 tok3 tok4 tok5');
  assert.deepEqual(JSON.parse(r.body).usage.completion_tokens, 6);
  assert.equal(JSON.parse(r.body).usage.prompt_tokens, 10);
  assert.equal(r.headers['x-switchyard-usage'], undefined);
});

test('streaming is re-framed by our writer with the upstream usage', async () => {
  const r = await chat(gateway.url, { model: 'emu-large', stream: true, stream_options: { include_usage: true }, messages: user('s') });
  assert.equal(r.status, 200);
  const { events, json } = parseSse(r.body);
  assert.equal(events.at(-1), '[DONE]');
  assert.match(json[0].id, /^chatcmpl-/);
  assert.notEqual(json[0].id, 'chatcmpl-emulator');
  assert.equal(contentOf(json), 'echo: s | model emu-large | messages 1 | top_k none tok1 tok2 tok3 tok4 tok5');
  assert.deepEqual(json.at(-1).usage.completion_tokens, 6);
  assert.equal(json.at(-2).choices[0].finish_reason, 'stop');
});

test('upstream errors keep their meaning; a revoked key rests; a cut stream is an in-band error', async () => {
  const limited = await chat(gateway.url, { model: 'emu-small', messages: user('[scenario:429]') });
  assert.equal(limited.status, 429);
  assert.equal(limited.headers['retry-after'], '3');
  // The key cools for those 3 seconds; the revoked one, refused three times now, is dead: nothing is sent upstream.
  const cooled = await chat(gateway.url, { model: 'emu-small', messages: user('hello') });
  assert.equal(cooled.status, 429);
  assert.ok(['1', '2', '3'].includes(cooled.headers['retry-after']), cooled.headers['retry-after']);
  const probe = async (id) => JSON.parse((await rawRequest(gateway.url, { path: `/admin/credentials/${id}/probe` })).body);
  const [revoked, limitedKey] = [await probe('openai:0'), await probe('openai:1')];
  assert.deepEqual([revoked.ok, revoked.error.reason, revoked.credential.state], [false, 'credential_rejected', 'dead']);
  // /models answers, but no probe can see a rate limit: the key keeps cooling for its time.
  assert.deepEqual([limitedKey.ok, limitedKey.credential.state], [true, 'cooling']);
  assert.deepEqual((await reviveCredentials(gateway.url)).map((c) => c.credential), ['…oked', '…']);
  const cut = await chat(gateway.url, { model: 'emu-small', stream: true, messages: user('[scenario:disconnect]') });
  assert.equal(cut.status, 200);
  assert.equal(parseSse(cut.body).json.at(-1).error.code, 'upstream_error');
  assert.ok(!gateway.proc.logs.includes('sk-up-revoked'), 'keys never appear in logs');
  const bad = await startGateway({ env: { OPENAI_BASE_URL: `${emulator.url}/v1`, OPENAI_API_KEY: 'sk-nope', OPENAI_MODELS: 'emu-small' } });
  try {
    const r = await chat(bad.url, { model: 'emu-small', messages: user('x') });
    assert.equal(r.status, 502);
    assert.equal(JSON.parse(r.body).error.code, 'upstream_auth_failed');
  } finally {
    await bad.stop();
  }
});

test('upstream connections are kept alive and reused', async () => {
  const before = (await emulator.events()).filter((e) => e.type === 'connection_accepted').length;
  for (let i = 0; i < 20; i++) assert.equal((await chat(gateway.url, { model: 'emu-small', messages: user(`r${i}`) })).status, 200);
  for (let i = 0; i < 5; i++) assert.equal((await chat(gateway.url, { model: 'emu-small', stream: true, messages: user(`s${i}`) })).status, 200);
  const opened = (await emulator.events()).filter((e) => e.type === 'connection_accepted').length - before;
  assert.ok(opened <= 2, `${opened} upstream connections for 25 requests (2 worker threads)`);
});

test('a stored conversation sends its history to a stateless upstream', async () => {
  const conv = JSON.parse((await rawRequest(gateway.url, { path: '/v1/conversations', body: {} })).body);
  await chat(gateway.url, { model: 'emu-small', conversation_id: conv.id, messages: user('one') });
  const r = await chat(gateway.url, { model: 'emu-small', conversation_id: conv.id, messages: user('two') });
  assert.match(answerOf(r), /^echo: two \| model emu-small \| messages 3 /);
});

test('a paced upstream stream is relayed event by event, not batched', async () => {
  const paced = await startEmulator(['--openai-tokens', '30', '--openai-token-delay-ms', '20']);
  const gw = await startGateway({ env: { OPENAI_BASE_URL: `${paced.url}/v1`, OPENAI_MODELS: 'emu-small' } });
  try {
    const started = performance.now();
    const arrivals = await new Promise((resolve, reject) => {
      const times = [];
      const req = http.request(`${gw.url}/v1/chat/completions`, { method: 'POST', headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' } }, (res) => {
        res.on('data', (d) => { for (const line of d.toString().split('\n')) if (line.includes('"content":"')) times.push(performance.now() - started); });
        res.on('end', () => resolve(times));
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end(JSON.stringify({ model: 'emu-small', stream: true, messages: user('pace') }));
    });
    // 30 tokens 20 ms apart take about 600 ms upstream; the first must not wait for the rest.
    assert.ok(arrivals.length >= 29, `${arrivals.length} content events`);
    assert.ok(arrivals.at(-1) - arrivals[0] > 400, `events arrived within ${arrivals.at(-1) - arrivals[0]} ms of each other`);
    assert.ok(arrivals[0] < 250, `first content after ${arrivals[0]} ms`);
  } finally {
    await gw.stop();
    await paced.stop();
  }
});

test('the upstream request head is written whole: start line, Host, a Content-Length that matches the body', async () => {
  let seen = Buffer.alloc(0);
  const answer = JSON.stringify({ id: 'x', object: 'chat.completion', created: 1, model: 'raw', choices: [{ index: 0, message: { role: 'assistant', content: 'raw ok' }, finish_reason: 'stop' }] });
  const upstream = net.createServer((s) => s.on('data', (d) => {
    seen = Buffer.concat([seen, d]);
    const end = seen.indexOf('\r\n\r\n');
    const length = Number((/\r\ncontent-length: (\d+)\r\n/i.exec(seen.subarray(0, end).toString()) || [])[1]);
    if (end < 0 || seen.length < end + 4 + length) return;
    s.end(`HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(answer)}\r\n\r\n${answer}`);
  }));
  await new Promise((r) => upstream.listen(0, '127.0.0.1', r));
  const base = `http://127.0.0.1:${upstream.address().port}/v1`;
  const gw = await startGateway({ config: { providers: { openai: [{ name: 'raw', base_url: base, api_keys: ['sk-raw'], models: ['raw'] }] } } });
  try {
    const r = await chat(gw.url, { model: 'raw', messages: user('héllo') });
    assert.equal(r.status, 200, r.body);
    assert.equal(answerOf(r), 'raw ok');
    const text = seen.toString('latin1');
    const [head, body] = [text.slice(0, text.indexOf('\r\n\r\n')), seen.subarray(text.indexOf('\r\n\r\n') + 4)];
    const [startLine, ...fields] = head.split('\r\n');
    assert.equal(startLine, 'POST /v1/chat/completions HTTP/1.1');
    const field = (name) => fields.filter((f) => f.toLowerCase().startsWith(`${name}: `)).map((f) => f.slice(name.length + 2));
    assert.deepEqual(field('host'), [`127.0.0.1:${upstream.address().port}`]);
    assert.deepEqual(field('content-length'), [String(body.length)]);
    assert.deepEqual(field('authorization'), ['Bearer sk-raw']);
    assert.ok(fields.every((f) => /^[!#-'*+.0-9A-Z^-z|~-]+: [^\r\n]*$/.test(f)), head);
    assert.equal(JSON.parse(body.toString('utf8')).messages[0].content, 'héllo');
  } finally {
    await gw.stop();
    upstream.close();
  }
});
