// Anthropic's Messages API through the front door: the real binary and the emulator, raw bytes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { API_KEY, emulatorAndGateway, rawRequest, startGateway } from './harness.mjs';

const web = emulatorAndGateway();

const post = (path, body, headers = { 'x-api-key': API_KEY, 'anthropic-version': '2023-06-01' }) =>
  rawRequest(web.gateway.url, { path, body, headers });
const ask = (text, extra = {}) => ({ model: 'default', max_tokens: 256, messages: [{ role: 'user', content: text }], ...extra });

/// The events of an Anthropic stream, each checked for its framing: `event:` then `data:`.
function eventsOf(body) {
  assert.ok(body.endsWith('\n\n'), 'the stream ends after a whole event');
  return body.slice(0, -2).split('\n\n').map((frame) => {
    const [eventLine, dataLine, ...rest] = frame.split('\n');
    assert.equal(rest.length, 0, frame);
    assert.match(eventLine, /^event: [a-z_]+$/, frame);
    assert.match(dataLine, /^data: /, frame);
    return { name: eventLine.slice(7), data: JSON.parse(dataLine.slice(6)) };
  });
}

test('a stream: message_start, one text block, message_delta with end_turn, message_stop', async () => {
  const r = await post('/v1/messages?beta=true', ask('stream it [scenario:tiny-writes]', { stream: true }));
  assert.equal(r.status, 200, r.body);
  assert.match(r.headers['content-type'], /^text\/event-stream/);
  const events = eventsOf(r.body);
  const names = events.map((e) => e.name).filter((n) => n !== 'ping');
  assert.deepEqual([names[0], names[1], names.at(-3), names.at(-2), names.at(-1)],
    ['message_start', 'content_block_start', 'content_block_stop', 'message_delta', 'message_stop']);
  assert.ok(names.slice(2, -3).every((n) => n === 'content_block_delta'));
  const text = events.filter((e) => e.name === 'content_block_delta').map((e) => e.data.delta.text).join('');
  assert.match(text, /^echo: stream it \[scenario:tiny-writes\] \| context: 1 messages \[user\]/);
  const delta = events.find((e) => e.name === 'message_delta').data;
  assert.equal(delta.delta.stop_reason, 'end_turn');
  assert.ok(delta.usage.output_tokens > 0);
});

test('a silent upstream gets ping events; max_tokens cuts with stop_reason max_tokens', async () => {
  const slow = await post('/v1/messages', ask('wait [scenario:late]', { stream: true }));
  assert.equal(slow.status, 200);
  assert.ok(eventsOf(slow.body).some((e) => e.name === 'ping' && e.data.type === 'ping'), 'pings while the upstream thinks');
  const cut = await post('/v1/messages', ask('a long question to echo back', { max_tokens: 3 }));
  const message = JSON.parse(cut.body);
  assert.equal(message.stop_reason, 'max_tokens');
  assert.equal(message.content[0].text.length, 12);
});

test('errors are Anthropic-shaped: before the stream an HTTP error, after it an error event', async () => {
  const before = await post('/v1/messages', ask('[scenario:500]', { stream: true }));
  assert.equal(before.status, 502);
  assert.deepEqual(Object.keys(JSON.parse(before.body)), ['type', 'error']);
  assert.equal(JSON.parse(before.body).error.type, 'api_error');

  const after = await post('/v1/messages', ask('[scenario:disconnect] a b c d e f g h i j k l', { model: 'gemini', stream: true }));
  assert.equal(after.status, 200);
  const events = eventsOf(after.body);
  assert.equal(events.at(-1).name, 'error');
  assert.equal(events.at(-2).name, 'content_block_stop', 'the open block is closed first');
  assert.equal(events.at(-1).data.type, 'error');
  assert.equal(typeof events.at(-1).data.error.message, 'string');

  const unauthorized = await post('/v1/messages', ask('x'), { 'x-api-key': 'nope', authorization: '' });
  assert.equal(unauthorized.status, 401);
  assert.deepEqual(JSON.parse(unauthorized.body).error.type, 'authentication_error');
  const bearer = await post('/v1/messages', ask('x'), { authorization: `Bearer ${API_KEY}`, 'x-api-key': '' });
  assert.equal(bearer.status, 200, 'Authorization: Bearer works too');
  const wrongMethod = await rawRequest(web.gateway.url, { method: 'GET', path: '/v1/messages', headers: { 'x-api-key': API_KEY } });
  assert.equal(wrongMethod.status, 405);
  assert.equal(JSON.parse(wrongMethod.body).type, 'error');
  const unknown = await post('/v1/messages', ask('x', { model: 'claude-nope' }));
  assert.equal(unknown.status, 404);
  assert.equal(JSON.parse(unknown.body).error.type, 'not_found_error');
  const invalid = await post('/v1/messages', { model: 'default', messages: [{ role: 'user', content: 'x' }] });
  assert.equal(invalid.status, 400);
  assert.equal(JSON.parse(invalid.body).error.type, 'invalid_request_error');
  assert.match(JSON.parse(invalid.body).error.message, /^max_tokens: /);
  // OpenAI routes keep OpenAI's shape.
  const chat = await rawRequest(web.gateway.url, { path: '/v1/chat/completions', body: {}, headers: { 'x-api-key': 'nope', authorization: '' } });
  assert.equal(JSON.parse(chat.body).error.code, 'invalid_api_key');
});

test('count_tokens is answered locally', async () => {
  const before = (await web.emulator.events()).length;
  const r = await post('/v1/messages/count_tokens', { model: 'default', messages: [{ role: 'user', content: 'twelve characters or so' }] });
  assert.equal(r.status, 200, r.body);
  assert.ok(JSON.parse(r.body).input_tokens > 0);
  assert.equal((await web.emulator.events()).length, before, 'nothing went upstream');
});

test('a Claude model name reaches a configured model through its alias', async () => {
  const models = [{ id: 'default', provider: 'flowgpt', upstream_id: 'uzNcMUGo4sOwl4GFvRpm8', aliases: ['claude-sonnet-4-5'] }];
  const gw = await startGateway({ emulator: web.emulator, config: { models } });
  try {
    const r = await rawRequest(gw.url, { path: '/v1/messages', body: ask('aliased', { model: 'claude-sonnet-4-5' }), headers: { 'x-api-key': API_KEY } });
    assert.equal(r.status, 200, r.body);
    const message = JSON.parse(r.body);
    assert.equal(message.model, 'claude-sonnet-4-5', 'answered under the name the client used');
    assert.match(message.content[0].text, /^echo: aliased/);
    const listed = JSON.parse((await rawRequest(gw.url, { method: 'GET', path: '/v1/models' })).body).data.map((m) => m.id);
    assert.deepEqual(listed, ['default']);
  } finally {
    await gw.stop();
  }
});
