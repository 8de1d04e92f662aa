// Transparent continuation: a client that resends the whole history each turn continues the
// upstream conversation that answered it, and only the new turn goes upstream.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { API_KEY, startEmulator, startGateway, chat, parseSse, contentOf, rawRequest, slowLibc } from './harness.mjs';

const OTHER_KEY = 'sk-other-tenant-77';
let emulator;
let gateway;
let gatewayOff; // SWITCHYARD_CONTINUATION=off, same emulator

before(async () => {
  emulator = await startEmulator();
  const env = { CHATGPTFREE_BASE_URL: emulator.url, API_MASTER_KEY: `${API_KEY},${OTHER_KEY}` };
  gateway = await startGateway({ emulator, env });
  gatewayOff = await startGateway({ emulator, env: { ...env, SWITCHYARD_CONTINUATION: 'off' } });
});
after(async () => {
  await gateway?.stop();
  await gatewayOff?.stop();
  await emulator?.stop();
});

const created = (events) => events.filter((e) => e.type === 'conversation_created');
const chats = (events) => events.filter((e) => e.type === 'chat');
const aipkitStreams = (events) => events.filter((e) => e.type === 'aipkit_stream');

/// One turn: sends `messages`, returns the assistant message as the client would keep it.
async function send(url, body, key = API_KEY) {
  const r = await chat(url, body, { authorization: `Bearer ${key}` });
  assert.equal(r.status, 200, r.body);
  if (!body.stream) return JSON.parse(r.body).choices[0].message;
  const chunks = parseSse(r.body).json;
  return { role: 'assistant', content: contentOf(chunks) };
}

/// Runs `f` and returns what the emulator logged meanwhile.
async function logged(f) {
  const before = (await emulator.events()).length;
  const result = await f();
  return { result, events: (await emulator.events()).slice(before) };
}

for (const stream of [false, true]) {
  test(`flowgpt${stream ? ', streaming' : ''}: a resent history continues its upstream conversation`, async () => {
    const messages = [{ role: 'system', content: 'You are terse.' }, { role: 'user', content: `first ${stream}` }];
    const one = await logged(() => send(gateway.url, { model: 'default', stream, messages }));
    assert.equal(created(one.events).length, 1);
    const conversation = chats(one.events)[0].conversation;
    messages.push({ role: 'assistant', content: one.result.content }, { role: 'user', content: `second ${stream}` });

    const two = await logged(() => send(gateway.url, { model: 'default', stream, messages }));
    assert.equal(created(two.events).length, 0, 'no new upstream conversation');
    assert.equal(chats(two.events)[0].conversation, conversation);
    assert.equal(chats(two.events)[0].question, `second ${stream}`);
    assert.match(two.result.content, /context: 4 messages \[system,user,assistant,user\]/);
    messages.push({ role: 'assistant', content: two.result.content }, { role: 'user', content: `third ${stream}` });

    const three = await logged(() => send(gateway.url, { model: 'default', stream, messages }));
    assert.equal(created(three.events).length, 0);
    assert.equal(chats(three.events)[0].conversation, conversation);
    assert.match(three.result.content, /context: 6 messages/);
  });
}

test('flowgpt: an edited, regenerated or foreign history starts a new upstream conversation', async () => {
  const question = { role: 'user', content: 'edit me' };
  const answer = await send(gateway.url, { model: 'default', messages: [question] });
  const next = { role: 'user', content: 'and then?' };

  const edited = await logged(() => send(gateway.url, {
    model: 'default', messages: [question, { role: 'assistant', content: `${answer.content} (edited)` }, next] }));
  assert.equal(created(edited.events).length, 1, 'an edited answer is injected in full');
  assert.match(edited.result.content, /context: 3 messages \[user,assistant,user\]/);

  const foreign = await logged(() => send(gateway.url, { model: 'default', messages: [question, answer, next] }, OTHER_KEY));
  assert.equal(created(foreign.events).length, 1, 'another API key never continues this one\'s chat');

  const first = await logged(() => send(gateway.url, { model: 'default', messages: [question, answer, next] }));
  assert.equal(created(first.events).length, 0);
  const again = await logged(() => send(gateway.url, { model: 'default', messages: [question, answer, next] }));
  assert.equal(created(again.events).length, 1, 'a regenerated turn does not reuse the conversation that answered it');
  assert.match(again.result.content, /context: 3 messages/);
});

test('flowgpt: a tool result continues the conversation that made the call', async () => {
  const weather = { type: 'function', function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } } };
  const question = { role: 'user', content: 'Weather in Paris? [call:get_weather]' };
  const call = await logged(() => send(gateway.url, { model: 'default', tools: [weather], messages: [question] }));
  assert.equal(call.result.tool_calls.length, 1);
  const result = { role: 'tool', tool_call_id: call.result.tool_calls[0].id, content: '18C and sunny' };
  const final = await logged(() => send(gateway.url, { model: 'default', tools: [weather], messages: [question, call.result, result] }));
  assert.equal(created(final.events).length, 0);
  assert.equal(chats(final.events)[0].conversation, chats(call.events)[0].conversation);
  assert.match(chats(final.events)[0].question, /<tool_response name="get_weather"/);
  assert.match(final.result.content, /18C and sunny/);
});

test('flowgpt: a new turn that is more than one upstream message is injected in full', async () => {
  const weather = { type: 'function', function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } } };
  const question = { role: 'user', content: 'Weather in Rome? [call:get_weather]' };
  const call = await send(gateway.url, { model: 'default', tools: [weather], messages: [question] });
  const result = { role: 'tool', tool_call_id: call.tool_calls[0].id, content: 'rainy' };
  const both = await logged(() => send(gateway.url, {
    model: 'default', tools: [weather], messages: [question, call, result, { role: 'user', content: 'and tomorrow?' }] }));
  assert.equal(created(both.events).length, 1, 'a tool result and a question would be two messages upstream');
  assert.equal(created(both.events)[0].messages, 4, 'question, call, result and the new question, all injected');
});

test('flowgpt with a token pool: a conversation is continued with the token that created it', async () => {
  const up = await startEmulator(['--tokens', 'second-token']);
  const gw = await startGateway({ emulator: up, env: { FLOWGPT_BEARER_TOKEN: `${'flowgpt-token-abcdef'},second-token` } });
  try {
    const messages = [];
    const before = (await up.events()).length;
    for (let i = 1; i <= 4; ++i) {
      messages.push({ role: 'user', content: `pooled ${i}` });
      messages.push(await send(gw.url, { model: 'default', messages }));
    }
    const events = (await up.events()).slice(before);
    assert.equal(created(events).length, 1, 'round-robin did not move the chat to the other account');
    assert.equal(new Set(chats(events).map((e) => e.conversation)).size, 1);
  } finally {
    await gw.stop();
    await up.stop();
  }
});

test('chatgptfree: the upstream memory carries the chat and only the new message is sent', async () => {
  const messages = [{ role: 'user', content: 'hello there' }];
  const one = await logged(() => send(gateway.url, { model: 'gemini', messages }));
  assert.match(one.result.content, /^turn 1 /);
  messages.push(one.result, { role: 'user', content: 'how are you?' });
  const two = await logged(() => send(gateway.url, { model: 'gemini', stream: true, messages }));
  assert.match(two.result.content, /^turn 2 /, 'the upstream remembers the first turn');
  const [first, second] = [aipkitStreams(one.events)[0], aipkitStreams(two.events)[0]];
  assert.equal(second.conversation_uuid, first.conversation_uuid);
  assert.equal(second.message, 'how are you?');

  const off = await logged(() => send(gatewayOff.url, { model: 'gemini', messages }));
  assert.match(off.result.content, /^turn 1 /, 'with continuation off every turn starts afresh');
  assert.match(aipkitStreams(off.events)[0].message, /^User: hello there\n\nAssistant: turn 1 [^]*\n\nUser: how are you\?$/);
});

test('chatgptfree: before its 15-message memory overflows, the chat starts afresh with the whole history', async () => {
  const messages = [];
  const uuids = [];
  for (let i = 1; i <= 8; ++i) {
    messages.push({ role: 'user', content: `long chat ${i}` });
    const turn = await logged(() => send(gateway.url, { model: 'gemini', messages }));
    messages.push(turn.result);
    const [sent] = aipkitStreams(turn.events);
    uuids.push(sent.conversation_uuid);
    if (i <= 7) {
      assert.equal(sent.message, `long chat ${i}`, `turn ${i} sends only its message`);
      assert.match(turn.result.content, new RegExp(`^turn ${i} `));
    } else {
      assert.match(sent.message, /^User: long chat 1\n\nAssistant: turn 1 [^]*\n\nUser: long chat 8$/, 'the whole history, once');
      assert.match(turn.result.content, /^turn 1 /);
    }
  }
  assert.equal(new Set(uuids.slice(0, 7)).size, 1, 'turns 1 to 7 share one upstream conversation');
  assert.notEqual(uuids[7], uuids[0], 'turn 8 would have been the 16th message: a fresh conversation');
});

test('chatgptfree: a tool-using chat that starts afresh sends its earlier calls and results as the model saw them', async () => {
  const weather = { type: 'function', function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } } };
  const messages = [{ role: 'user', content: 'Weather in Oslo? [call:get_weather]' }];
  const call = await send(gateway.url, { model: 'gemini', tools: [weather], messages });
  messages.push(call, { role: 'tool', tool_call_id: call.tool_calls[0].id, content: 'snowing' });
  messages.push(await send(gateway.url, { model: 'gemini', tools: [weather], messages }));
  let last;
  for (let i = 3; i <= 8; ++i) {
    messages.push({ role: 'user', content: `tool chat ${i}` });
    last = await logged(() => send(gateway.url, { model: 'gemini', tools: [weather], messages }));
    messages.push(last.result);
  }
  const [sent] = aipkitStreams(last.events);
  assert.match(sent.message, /^User: Weather in Oslo\? \[call:get_weather\]\n\nAssistant: <tool_call>\{"name": ?"get_weather"[^]*<tool_response name="get_weather" id="call_[^"]+">\nsnowing\n<\/tool_response>[^]*User: # Tools[^]*tool chat 8$/,
    'the restart carries the rendered calls and results');
});

test('keeping a continuation costs no fsync: with a 400 ms fsync a resent turn still answers at once', async () => {
  const gw = await startGateway({ emulator, env: slowLibc({ SLOW_LIBC_FSYNC_MS: '400' }) });
  try {
    const timed = async (body) => {
      const started = Date.now();
      const message = await send(gw.url, body);
      return { message, ms: Date.now() - started };
    };
    const messages = [{ role: 'user', content: 'quick one' }];
    const first = await timed({ model: 'default', messages });
    messages.push(first.message, { role: 'user', content: 'quick two' });
    const second = await logged(() => timed({ model: 'default', messages }));
    assert.equal(created(second.events).length, 0, 'the second turn continued');
    assert.ok(first.ms < 300 && second.result.ms < 300, `turns took ${first.ms} and ${second.result.ms} ms`);
    // The control: a stored conversation's turn does wait for its fsync.
    const conv = JSON.parse((await rawRequest(gw.url, { path: '/v1/conversations', body: {}, headers: { authorization: `Bearer ${API_KEY}` } })).body).id;
    const turn = await timed({ model: 'default', conversation_id: conv, messages: [{ role: 'user', content: 'durable' }] });
    assert.ok(turn.ms >= 400, `a conversation turn waited for its commit (${turn.ms} ms)`);
  } finally {
    await gw.stop();
  }
});

/// A 10-turn chat that resends its history, as chat front-ends do; returns the upstream traffic.
/// The emulator answers with a fixed 60 words (FlowGPT) or 180 words (chatgptfree.ai), so the
/// history grows as a real chat's does.
async function tenTurns(up, url, model, label) {
  const before = await up.traffic();
  const messages = [{ role: 'system', content: 'You are a helpful assistant. Answer in a short paragraph.' }];
  for (let i = 1; i <= 10; ++i) {
    messages.push({ role: 'user', content: `${label}: question ${i}, asking about something in a sentence or two` });
    messages.push(await send(url, { model, messages }));
  }
  const after = await up.traffic();
  return { requests: after.requests - before.requests, bytes: after.bytes - before.bytes };
}

test('a 10-turn chat sends far fewer bytes upstream with continuation than without', async () => {
  const up = await startEmulator(['--answer-chunks', '60']);
  const env = { CHATGPTFREE_BASE_URL: up.url };
  const [on, off] = [await startGateway({ emulator: up, env }),
    await startGateway({ emulator: up, env: { ...env, SWITCHYARD_CONTINUATION: 'off' } })];
  try {
    for (const [model, provider] of [['default', 'FlowGPT'], ['gemini', 'chatgptfree.ai']]) {
      const withIt = await tenTurns(up, on.url, model, provider);
      const without = await tenTurns(up, off.url, model, provider);
      console.log(`# upstream traffic, 10 turns, ${provider}: ${withIt.bytes} B in ${withIt.requests} requests with continuation, ` +
        `${without.bytes} B in ${without.requests} requests without (${(withIt.bytes / without.bytes).toFixed(2)}x)`);
      assert.ok(withIt.bytes < 0.8 * without.bytes, `${provider}: ${withIt.bytes} bytes with continuation, ${without.bytes} without`);
    }
  } finally {
    await on.stop();
    await off.stop();
    await up.stop();
  }
});
