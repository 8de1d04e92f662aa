// The official openai npm SDK, pointed at switchyard with base_url: what our users run.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import { API_KEY, startEmulator, startGateway, rawRequest, parseSse } from '../e2e/harness.mjs';

// SWITCHYARD_URL points the tests at an already running gateway (the container smoke test);
// otherwise they start the binary and the emulator themselves.
const external = process.env.SWITCHYARD_URL;
let emulator;
let gateway;
let client;
let baseURL;

before(async () => {
  if (external) {
    baseURL = external;
  } else {
    emulator = await startEmulator();
    gateway = await startGateway({ emulator, env: { CHATGPTFREE_BASE_URL: emulator.url } });
    baseURL = gateway.url;
  }
  client = new OpenAI({ apiKey: process.env.SWITCHYARD_API_KEY || API_KEY, baseURL: `${baseURL}/v1`, maxRetries: 0 });
});
after(async () => {
  await gateway?.stop();
  await emulator?.stop();
});

test('models.list', async () => {
  const page = await client.models.list();
  const ids = page.data.map((m) => m.id);
  assert.ok(ids.includes('default'));
  assert.ok(page.data.every((m) => m.object === 'model' && typeof m.owned_by === 'string'));
});

test('create, non-streaming', async () => {
  const completion = await client.chat.completions.create({
    model: 'default', messages: [{ role: 'system', content: 'sdk' }, { role: 'user', content: 'hello from the sdk' }],
  });
  assert.match(completion.id, /^chatcmpl-/);
  assert.equal(completion.object, 'chat.completion');
  assert.equal(completion.choices[0].finish_reason, 'stop');
  assert.match(completion.choices[0].message.content, /^echo: hello from the sdk \| context: 2 messages \[system,user\]/);
  assert.ok(completion.usage.total_tokens > 0);
  assert.match(completion._request_id, /^req_/);
});

test('create, streaming, with include_usage', async () => {
  const stream = await client.chat.completions.create({
    model: 'default', stream: true, stream_options: { include_usage: true }, messages: [{ role: 'user', content: 'stream via sdk' }],
  });
  let text = '';
  let finish;
  let usage;
  let roles = 0;
  for await (const chunk of stream) {
    if (chunk.usage) usage = chunk.usage;
    const choice = chunk.choices[0];
    if (!choice) continue;
    if (choice.delta.role) roles++;
    text += choice.delta.content ?? '';
    finish = choice.finish_reason ?? finish;
  }
  assert.equal(roles, 1);
  assert.equal(finish, 'stop');
  assert.match(text, /^echo: stream via sdk \|/);
  assert.equal(usage.total_tokens, usage.prompt_tokens + usage.completion_tokens);
});

test('chat.completions.stream().finalChatCompletion()', async () => {
  const runner = client.chat.completions.stream({ model: 'default', messages: [{ role: 'user', content: 'helper' }] });
  const final = await runner.finalChatCompletion();
  assert.equal(final.choices[0].message.role, 'assistant');
  assert.match(final.choices[0].message.content, /^echo: helper/);
  assert.equal(final.choices[0].finish_reason, 'stop');
});

test('error classes', async () => {
  const wrongKey = new OpenAI({ apiKey: 'sk-wrong', baseURL: `${baseURL}/v1`, maxRetries: 0 });
  await assert.rejects(wrongKey.models.list(), (e) => e instanceof OpenAI.AuthenticationError && e.code === 'invalid_api_key');
  await assert.rejects(
    client.chat.completions.create({ model: 'default', messages: [] }),
    (e) => e instanceof OpenAI.BadRequestError && e.param === 'messages');
  await assert.rejects(
    client.chat.completions.create({ model: 'no-such-model', messages: [{ role: 'user', content: 'x' }] }),
    (e) => e instanceof OpenAI.NotFoundError && e.code === 'model_not_found');
  await assert.rejects(client.models.retrieve('no-such-model'), (e) => e instanceof OpenAI.NotFoundError);
});

test('raw SSE bytes: data lines only, ending with data: [DONE]', async () => {
  const r = await rawRequest(baseURL, {
    headers: { authorization: `Bearer ${process.env.SWITCHYARD_API_KEY || API_KEY}` },
    body: { model: 'default', stream: true, stream_options: { include_usage: true }, messages: [{ role: 'user', content: 'lint me' }] },
  });
  assert.equal(r.status, 200);
  for (const line of r.body.split('\n')) assert.ok(line === '' || line.startsWith('data: ') || line === ': keep-alive', JSON.stringify(line));
  assert.ok(r.body.endsWith('data: [DONE]\n\n'));
  assert.equal(parseSse(r.body).events.at(-1), '[DONE]');
});

test('conversations: client.conversations and chat turns with conversation_id', async () => {
  const conv = await client.conversations.create({ metadata: { via: 'sdk' } });
  assert.match(conv.id, /^conv_/);
  assert.equal(conv.object, 'conversation');
  assert.deepEqual(conv.metadata, { via: 'sdk' });
  const first = await client.chat.completions.create({ model: 'default', conversation_id: conv.id, messages: [{ role: 'user', content: 'one' }] });
  assert.match(first.choices[0].message.content, /^echo: one \| context: 1 messages/);
  const stream = await client.chat.completions.create({
    model: 'default', stream: true, conversation_id: conv.id, messages: [{ role: 'user', content: 'two' }],
  });
  let text = '';
  for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? '';
  assert.match(text, /^echo: two \| context: 3 messages \[user,assistant,user\]/);
  const items = await client.conversations.items.list(conv.id, { order: 'asc' });
  assert.deepEqual(items.data.map((i) => i.role), ['user', 'assistant', 'user', 'assistant']);
  assert.equal((await client.conversations.retrieve(conv.id)).id, conv.id);
  const deleted = await client.conversations.delete(conv.id);
  assert.equal(deleted.deleted, true);
  await assert.rejects(client.conversations.retrieve(conv.id), (e) => e instanceof OpenAI.NotFoundError);
});

test('chatgptfree (AIPKit): a conversation through the SDK keeps its upstream memory', async () => {
  const conv = await client.conversations.create();
  const first = await client.chat.completions.create({ model: 'gemini', conversation_id: conv.id, messages: [{ role: 'user', content: 'hola' }] });
  assert.match(first.choices[0].message.content, /^turn 1 \| bot 25874 /);
  const stream = client.chat.completions.stream({ model: 'gemini', conversation_id: conv.id, messages: [{ role: 'user', content: 'otra vez' }] });
  const final = await stream.finalChatCompletion();
  assert.match(final.choices[0].message.content, /^turn 2 \| bot 25874 .* previous: turn 1 \| bot .* you said: otra vez$/);
});

const weatherTool = {
  type: 'function',
  function: {
    name: 'get_weather', description: 'Current weather in a city',
    parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
  },
};

test('tools: an emulated call on a web chat, streaming and not, parsed by the SDK', async () => {
  const completion = await client.chat.completions.create({
    model: 'default', tools: [weatherTool], messages: [{ role: 'user', content: 'Weather? [call:get_weather]' }],
  });
  const call = completion.choices[0].message.tool_calls[0];
  assert.equal(completion.choices[0].finish_reason, 'tool_calls');
  assert.equal(call.function.name, 'get_weather');
  assert.deepEqual(JSON.parse(call.function.arguments), { city: 'Paris' });

  // The stream helper assembles tool-call deltas by index and checks finish_reason.
  const stream = client.chat.completions.stream({
    model: 'gpt-4o-mini', tools: [weatherTool], messages: [{ role: 'user', content: 'Weather? [call:get_weather] [preamble]' }],
  });
  const final = await stream.finalChatCompletion();
  assert.equal(final.choices[0].finish_reason, 'tool_calls');
  assert.equal(final.choices[0].message.tool_calls[0].function.name, 'get_weather');
  assert.equal(final.choices[0].message.content, 'Let me look that up.\n');
});

test('tools: chat.completions.runTools runs the whole loop (call, result, final answer)', async () => {
  for (const [model, stream] of [['default', false], ['gpt-4o-mini', true]]) {
    const seen = [];
    const runner = client.chat.completions.runTools({
      model, stream,
      messages: [{ role: 'user', content: 'What is the weather in Paris? [call:get_weather]' }],
      tools: [{
        type: 'function',
        function: {
          name: 'get_weather', parameters: weatherTool.function.parameters, parse: JSON.parse,
          function: (args) => { seen.push(args); return { forecast: `sunny in ${args.city}` }; },
        },
      }],
    });
    const answer = await runner.finalContent();
    assert.deepEqual(seen, [{ city: 'Paris' }], model);
    assert.equal(answer, 'Tool said: {"forecast":"sunny in Paris"}', model);
  }
});
