// /v1/conversations and chat turns that continue them, against the real binary and emulator.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { API_KEY, startEmulator, startGateway, rawRequest, chat, user, parseSse, contentOf, sleep } from './harness.mjs';

const OTHER_KEY = 'sk-other-tenant-42';
let emulator;
let gateway;

before(async () => {
  emulator = await startEmulator();
  gateway = await startGateway({ emulator, env: { API_MASTER_KEY: `${API_KEY},${OTHER_KEY}` } });
});
after(async () => {
  await gateway?.stop();
  await emulator?.stop();
});

const call = (url, method, path, body, key = API_KEY) =>
  rawRequest(url, { method, path, body, headers: { authorization: `Bearer ${key}` } });

async function createConversation(url, body = {}, key = API_KEY) {
  const r = await call(url, 'POST', '/v1/conversations', body, key);
  assert.equal(r.status, 200, r.body);
  return JSON.parse(r.body);
}

async function turn(url, id, text, extra = {}) {
  const r = await chat(url, { conversation_id: id, messages: user(text), ...extra });
  assert.equal(r.status, 200, r.body);
  return extra.stream ? contentOf(parseSse(r.body).json) : JSON.parse(r.body).choices[0].message.content;
}

test('create, retrieve, update, list items and delete follow the Conversations API shapes', async () => {
  const conv = await createConversation(gateway.url, { metadata: { topic: 'demo' } });
  assert.match(conv.id, /^conv_[0-9a-f]{48}$/);
  assert.equal(conv.object, 'conversation');
  assert.ok(Number.isInteger(conv.created_at));
  assert.deepEqual(conv.metadata, { topic: 'demo' });
  assert.equal(conv.conversation_id, conv.id);

  assert.deepEqual(JSON.parse((await call(gateway.url, 'GET', `/v1/conversations/${conv.id}`)).body), conv);
  const updated = JSON.parse((await call(gateway.url, 'POST', `/v1/conversations/${conv.id}`, { metadata: { topic: 'changed' } })).body);
  assert.deepEqual(updated.metadata, { topic: 'changed' });

  const items = JSON.parse((await call(gateway.url, 'GET', `/v1/conversations/${conv.id}/items`)).body);
  assert.deepEqual(items, { object: 'list', data: [], first_id: null, last_id: null, has_more: false });

  const deleted = await call(gateway.url, 'DELETE', `/v1/conversations/${conv.id}`);
  assert.deepEqual(JSON.parse(deleted.body), { id: conv.id, object: 'conversation.deleted', deleted: true });
  for (const method of ['GET', 'DELETE']) {
    const again = await call(gateway.url, method, `/v1/conversations/${conv.id}`);
    assert.equal(again.status, 404);
    assert.equal(JSON.parse(again.body).error.code, 'conversation_not_found');
  }
  const badMeta = await call(gateway.url, 'POST', '/v1/conversations', { metadata: { n: 1 } });
  assert.equal(badMeta.status, 400);
  assert.equal(JSON.parse(badMeta.body).error.param, 'metadata');
});

test('a three-turn conversation keeps memory and sends only the new turn upstream', async () => {
  const conv = await createConversation(gateway.url);
  assert.equal(await turn(gateway.url, conv.id, 'first'), 'echo: first | context: 1 messages [user] | temperature: 0.70');
  assert.equal(await turn(gateway.url, conv.id, 'second', { stream: true }),
    'echo: second | context: 3 messages [user,assistant,user] | temperature: 0.70');
  assert.equal(await turn(gateway.url, conv.id, 'third'),
    'echo: third | context: 5 messages [user,assistant,user,assistant,user] | temperature: 0.70');
  const created = (await emulator.events()).filter((e) => e.type === 'conversation_created');
  const chats = (await emulator.events()).filter((e) => ['first', 'second', 'third'].includes(e.question));
  assert.equal(new Set(chats.map((e) => e.conversation)).size, 1, 'one upstream conversation for all turns');
  assert.ok(created.length >= 1);

  const asc = JSON.parse((await call(gateway.url, 'GET', `/v1/conversations/${conv.id}/items?order=asc`)).body);
  assert.deepEqual(asc.data.map((i) => [i.role, i.content[0].type]), [
    ['user', 'input_text'], ['assistant', 'output_text'], ['user', 'input_text'], ['assistant', 'output_text'],
    ['user', 'input_text'], ['assistant', 'output_text']]);
  assert.equal(asc.data[2].content[0].text, 'second');
  assert.equal(asc.data[3].content[0].text, 'echo: second | context: 3 messages [user,assistant,user] | temperature: 0.70');
  const page1 = JSON.parse((await call(gateway.url, 'GET', `/v1/conversations/${conv.id}/items?limit=2`)).body);
  assert.equal(page1.has_more, true);
  assert.deepEqual(page1.data.map((i) => i.id), [asc.data[5].id, asc.data[4].id]);
  const page2 = JSON.parse((await call(gateway.url, 'GET', `/v1/conversations/${conv.id}/items?limit=2&after=${page1.last_id}`)).body);
  assert.deepEqual(page2.data.map((i) => i.id), [asc.data[3].id, asc.data[2].id]);
});

test('items: added, read and deleted one by one; a changed history is sent whole on the next turn', async () => {
  const conv = await createConversation(gateway.url, { items: [
    { type: 'message', role: 'developer', content: 'Answer in French.' },
    { role: 'user', content: [{ type: 'input_text', text: 'hi' }] },
  ] });
  assert.match(await turn(gateway.url, conv.id, 'first'), /context: 3 messages \[system,user,user\]/);
  const before = (await emulator.events()).filter((e) => e.type === 'conversation_created').length;

  const added = await call(gateway.url, 'POST', `/v1/conversations/${conv.id}/items`, { items: [
    { type: 'function_call', call_id: 'call_1', name: 'lookup', arguments: '{"q":"x"}' },
    { type: 'function_call_output', call_id: 'call_1', output: 'found it' },
  ] });
  assert.equal(added.status, 200, added.body);
  const list = JSON.parse(added.body);
  assert.equal(list.object, 'list');
  assert.deepEqual(list.data.map((i) => [i.type, i.status]), [['function_call', 'completed'], ['function_call_output', 'completed']]);
  assert.match(list.data[0].id, /^fc_/);
  const one = await call(gateway.url, 'GET', `/v1/conversations/${conv.id}/items/${list.data[1].id}`);
  assert.equal(one.status, 200);
  assert.deepEqual(JSON.parse(one.body), list.data[1]);

  // The upstream never saw the added items, so the next turn injects the whole history (the
  // call joins the answer before it; FlowGPT is shown its output as a user message).
  assert.match(await turn(gateway.url, conv.id, 'second'), /context: 6 messages \[system,user,user,assistant,user,user\]/);
  const after = (await emulator.events()).filter((e) => e.type === 'conversation_created').length;
  assert.equal(after, before + 1);

  const removed = await call(gateway.url, 'DELETE', `/v1/conversations/${conv.id}/items/${list.data[0].id}`);
  assert.equal(removed.status, 200, removed.body);
  assert.equal(JSON.parse(removed.body).id, conv.id);
  const gone = await call(gateway.url, 'GET', `/v1/conversations/${conv.id}/items/${list.data[0].id}`);
  assert.equal(gone.status, 404);
  assert.equal(JSON.parse(gone.body).error.code, 'item_not_found');
  const all = JSON.parse((await call(gateway.url, 'GET', `/v1/conversations/${conv.id}/items?order=asc&limit=100`)).body);
  assert.deepEqual(all.data.map((i) => i.role ?? i.type),
    ['developer', 'user', 'user', 'assistant', 'function_call_output', 'user', 'assistant']);

  for (const [body, param] of [[{}, 'items'], [{ items: 'x' }, 'items'], [{ items: [] }, 'items'],  [{ items: [{ role: 'robot', content: 'x' }] }, 'items[0].role'],
    [{ items: Array.from({ length: 21 }, () => ({ role: 'user', content: 'x' })) }, 'items']]) {
    const r = await call(gateway.url, 'POST', `/v1/conversations/${conv.id}/items`, body);
    assert.equal(r.status, 400, JSON.stringify(body));
    assert.equal(JSON.parse(r.body).error.param, param);
  }
    assert.equal((await call(gateway.url, 'POST', '/v1/conversations/conv_nope/items', { items: [{ role: 'user', content: 'x' }] })).status, 404);
  assert.equal((await call(gateway.url, 'GET', `/v1/conversations/${conv.id}/items/x`, undefined, OTHER_KEY)).status, 404);
});

test('a chat completions turn with tool calls is stored as function_call and function_call_output items', async () => {
  const conv = await createConversation(gateway.url);
  const tools = [{ type: 'function', function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } } }];
  const r = await chat(gateway.url, { conversation_id: conv.id, tools, messages: user('Weather in Rome? [call:get_weather]') });
  assert.equal(r.status, 200, r.body);
  const calls = JSON.parse(r.body).choices[0].message.tool_calls;
  assert.equal(calls.length, 1);
  const r2 = await chat(gateway.url, { conversation_id: conv.id, tools,
    messages: [{ role: 'tool', tool_call_id: calls[0].id, content: 'hot' }] });
  assert.equal(JSON.parse(r2.body).choices[0].message.content, 'Tool said: hot');
  const items = JSON.parse((await call(gateway.url, 'GET', `/v1/conversations/${conv.id}/items?order=asc`)).body).data;
  assert.deepEqual(items.map((i) => i.type), ['message', 'function_call', 'function_call_output', 'message']);
  assert.equal(items[1].call_id, calls[0].id);
  assert.equal(items[1].name, 'get_weather');
  assert.equal(items[2].output, 'hot');
});

test('one-shot requests never share upstream memory', async () => {
  const answers = await Promise.all(Array.from({ length: 30 }, (_, i) => chat(gateway.url, { messages: user(`solo ${i}`) })));
  answers.forEach((r, i) => assert.equal(JSON.parse(r.body).choices[0].message.content,
    `echo: solo ${i} | context: 1 messages [user] | temperature: 0.70`));
});

test('conversations belong to the key that created them', async () => {
  const mine = await createConversation(gateway.url);
  await turn(gateway.url, mine.id, 'private');
  for (const [method, path] of [['GET', `/v1/conversations/${mine.id}`], ['GET', `/v1/conversations/${mine.id}/items`],
    ['DELETE', `/v1/conversations/${mine.id}`]]) {
    assert.equal((await call(gateway.url, method, path, undefined, OTHER_KEY)).status, 404, `${method} ${path}`);
  }
  const r = await chat(gateway.url, { conversation_id: mine.id, messages: user('let me in') }, { authorization: `Bearer ${OTHER_KEY}` });
  assert.equal(r.status, 404);
  assert.equal(JSON.parse(r.body).error.code, 'conversation_not_found');
  assert.equal((await call(gateway.url, 'GET', `/v1/conversations/${mine.id}`)).status, 200);
});

test('an unknown conversation is a 404, and a second concurrent turn a 409 that is not retried', async () => {
  const missing = await chat(gateway.url, { conversation_id: 'conv_nope', messages: user('x') });
  assert.equal(missing.status, 404);
  const conv = await createConversation(gateway.url);
  const slow = chat(gateway.url, { conversation_id: conv.id, stream: true, messages: user('[scenario:slow] a b c') });
  await sleep(150);
  const raced = await chat(gateway.url, { conversation_id: conv.id, messages: user('me too') });
  assert.equal(raced.status, 409);
  assert.equal(raced.headers['x-should-retry'], 'false');
    assert.equal(JSON.parse(raced.body).error.code, 'conversation_busy');
  // Items change only between turns: the turn would store its upstream state over the change.
  const added = await call(gateway.url, 'POST', `/v1/conversations/${conv.id}/items`, { items: [{ role: 'user', content: 'sneaky' }] });
  assert.equal(added.status, 409, added.body);
  assert.equal(JSON.parse(added.body).error.code, 'conversation_busy');
  assert.equal((await slow).status, 200);
  assert.match(await turn(gateway.url, conv.id, 'after the race'), /context: 3 messages/);
});

test('kill -9 between turns: after a restart the conversation continues', async () => {
  const up = await startEmulator();
  let gw = await startGateway({ emulator: up });
  const conv = await createConversation(gw.url);
  assert.match(await turn(gw.url, conv.id, 'before the crash', { stream: true }), /context: 1 messages/);
  await gw.stop('SIGKILL');
  gw = await startGateway({ emulator: up, dir: gw.dir });
  try {
    assert.match(await turn(gw.url, conv.id, 'after the crash'), /^echo: after the crash \| context: 3 messages \[user,assistant,user\]/);
    const items = JSON.parse((await call(gw.url, 'GET', `/v1/conversations/${conv.id}/items?order=asc`)).body);
    assert.equal(items.data.length, 4);
  } finally {
    await gw.stop();
    await up.stop();
  }
});

test('when the upstream forgets a conversation it is recreated from the stored turns', async () => {
  let up = await startEmulator();
  const gw = await startGateway({ emulator: up });
  try {
    const conv = await createConversation(gw.url);
    await turn(gw.url, conv.id, 'remember me');
    await up.stop();
    // A new emulator on another port knows nothing; point a restarted gateway at it.
    up = await startEmulator();
    const gw2 = await startGateway({ emulator: up, dir: gw.dir });
    await gw.stop();
    try {
      assert.match(await turn(gw2.url, conv.id, 'do you?'), /^echo: do you\? \| context: 3 messages \[user,assistant,user\]/);
      const created = (await up.events()).filter((e) => e.type === 'conversation_created');
      assert.deepEqual(created.map((e) => e.messages), [3]);
    } finally {
      await gw2.stop();
    }
  } finally {
    await up.stop();
  }
});

test('conversations idle past the TTL expire', async () => {
  const gw = await startGateway({ emulator });
  const conv = await createConversation(gw.url);
  await gw.stop();
  await sleep(2100);
  const again = await startGateway({ emulator, dir: gw.dir, config: { conversations: { idle_ttl_s: 1 } } });
  try {
    assert.equal((await call(again.url, 'GET', `/v1/conversations/${conv.id}`)).status, 404);
  } finally {
    await again.stop();
  }
});
