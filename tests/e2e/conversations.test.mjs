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
