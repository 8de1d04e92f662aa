// The official openai SDK's Responses API (`client.responses`) against /v1/responses: stateless,
// the whole input every turn as Codex CLI sends it, and stateful, with stored responses,
// `previous_response_id` and conversations.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import { API_KEY, emulatorAndGateway, rawRequest } from '../e2e/harness.mjs';

const web = emulatorAndGateway();
const client = () => new OpenAI({ apiKey: API_KEY, baseURL: `${web.gateway.url}/v1`, maxRetries: 0 });

const weather = {
  type: 'function', name: 'get_weather', description: 'Current weather in a city', strict: false,
  parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
};

test('responses.create: output_text, usage and the echoed request', async () => {
  const r = await client().responses.create({
    model: 'default', instructions: 'be brief', input: 'hello responses', metadata: { run: 'sdk' },
  });
  assert.match(r.id, /^resp_/);
  assert.equal(r.object, 'response');
  assert.equal(r.status, 'completed');
  assert.match(r.output_text, /^echo: hello responses \| context: 2 messages \[system,user\] \| system: be brief/);
  assert.equal(r.output[0].type, 'message');
  assert.equal(r.output[0].content[0].type, 'output_text');
  assert.equal(r.instructions, 'be brief');
  assert.deepEqual(r.metadata, { run: 'sdk' });
  assert.equal(r.usage.total_tokens, r.usage.input_tokens + r.usage.output_tokens);
});

test('responses.stream(): typed events with sequence numbers, then finalResponse', async () => {
  const stream = client().responses.stream({ model: 'gpt-4o-mini', input: [{ role: 'user', content: 'stream me' }] });
  const types = [];
  let last = -1;
  let text = '';
  for await (const event of stream) {
    types.push(event.type);
    assert.equal(event.sequence_number, last + 1, event.type);
    last = event.sequence_number;
    if (event.type === 'response.output_text.delta') text += event.delta;
  }
  const final = await stream.finalResponse();
  assert.deepEqual([types[0], types[1], types[2], types.at(-1)],
    ['response.created', 'response.in_progress', 'response.output_item.added', 'response.completed']);
  assert.ok(types.includes('response.content_part.added') && types.includes('response.output_text.done'));
  assert.equal(final.output_text, text);
  assert.match(text, /^turn 1 \| bot \d+ /);
});

test('function tools: a call, then its output in the next request, streaming and not', async () => {
  for (const [model, streaming] of [['default', false], ['gpt-4o-mini', true]]) {
    const input = [{ role: 'user', content: 'What is the weather in Paris? [call:get_weather]' }];
    const ask = (items) => streaming
      ? client().responses.stream({ model, tools: [weather], input: items }).finalResponse()
      : client().responses.create({ model, tools: [weather], input: items });
    const first = await ask(input);
    const call = first.output.find((o) => o.type === 'function_call');
    assert.ok(call, `${model}: ${JSON.stringify(first.output)}`);
    assert.equal(call.name, 'get_weather');
    assert.deepEqual(JSON.parse(call.arguments), { city: 'Paris' });
    input.push(call, { type: 'function_call_output', call_id: call.call_id, output: 'sunny, 21C' });
    const second = await ask(input);
    assert.equal(second.output_text, 'Tool said: sunny, 21C', model);
  }
});

/// Runs `f` and returns what the emulator logged meanwhile.
async function logged(f) {
  const before = (await web.emulator.events()).length;
  const result = await f();
  return { result, events: (await web.emulator.events()).slice(before) };
}
const created = (events) => events.filter((e) => e.type === 'conversation_created');
const chats = (events) => events.filter((e) => e.type === 'chat');

test('a stored response is retrieved, lists its input items, and is deleted', async () => {
  const r = await client().responses.create({ model: 'default', instructions: 'short', input: [
    { role: 'user', content: 'remember the number 7' }, { role: 'user', content: [{ type: 'input_text', text: 'and 8' }] }] });
  assert.equal(r.store, true);
  const again = await client().responses.retrieve(r.id);
  assert.deepEqual(again, r, 'what is stored is what was sent');
  const items = await client().responses.inputItems.list(r.id, { order: 'asc' });
  assert.deepEqual(items.data.map((i) => [i.type, i.role, i.content[0].text]),
    [['message', 'user', 'remember the number 7'], ['message', 'user', 'and 8']]);
  assert.ok(items.data.every((i) => /^msg_/.test(i.id)));
  const newestFirst = await client().responses.inputItems.list(r.id, { limit: 1 });
  assert.equal(newestFirst.data[0].content[0].text, 'and 8');
  assert.equal(newestFirst.has_more, true);
  const deleted = await client().responses.delete(r.id);
  assert.deepEqual(deleted, { id: r.id, object: 'response', deleted: true });
  await assert.rejects(client().responses.retrieve(r.id), (e) => e instanceof OpenAI.NotFoundError);
  await assert.rejects(client().responses.delete(r.id), (e) => e instanceof OpenAI.NotFoundError);

  const unstored = await client().responses.create({ model: 'default', input: 'forget me', store: false });
  assert.equal(unstored.store, false);
  await assert.rejects(client().responses.retrieve(unstored.id), (e) => e instanceof OpenAI.NotFoundError);
  await assert.rejects(client().responses.create({ model: 'default', input: 'x', previous_response_id: unstored.id }),
    (e) => e instanceof OpenAI.BadRequestError && e.param === 'previous_response_id' && e.code === 'previous_response_not_found');
});

for (const streaming of [false, true]) {
  test(`previous_response_id on FlowGPT${streaming ? ', streamed' : ''}: the upstream conversation goes on with only the new input`, async () => {
    const ask = (body) => streaming ? client().responses.stream({ model: 'default', ...body }).finalResponse()
      : client().responses.create({ model: 'default', ...body });
    const one = await logged(() => ask({ instructions: 'be kind', input: `my name is Ada ${streaming}` }));
    assert.equal(created(one.events).length, 1);
    const upstream = chats(one.events)[0].conversation;

    const two = await logged(() => ask({ input: 'what is my name?', previous_response_id: one.result.id }));
    assert.equal(two.result.previous_response_id, one.result.id);
    assert.equal(created(two.events).length, 0, 'no new upstream conversation');
    assert.equal(chats(two.events)[0].conversation, upstream);
    assert.equal(chats(two.events)[0].question, 'what is my name?');
    // The upstream remembers the first request's instructions; nothing was sent again.
    assert.match(two.result.output_text, /context: 4 messages \[system,user,assistant,user\]/);

    // A second answer to the same response is a branch: it may not share the upstream
    // conversation, so the whole chain is sent again.
    const branch = await logged(() => ask({ input: 'or is it Grace?', previous_response_id: one.result.id }));
    assert.equal(created(branch.events).length, 1);
    assert.match(branch.result.output_text, /context: 3 messages \[user,assistant,user\]/, 'the chain, without the old instructions');

        const three = await logged(() => ask({ instructions: 'be kind', input: 'and again?', previous_response_id: two.result.id }));
    assert.equal(created(three.events).length, 0);
    assert.equal(chats(three.events)[0].conversation, upstream);
    assert.match(three.result.output_text, /context: 6 messages/);

    // What the upstream conversation does not hold is never dropped: new instructions, or an
    // input of more than one message, send the whole chain again.
    const reinstructed = await logged(() => ask({ instructions: 'be rude', input: 'hm?', previous_response_id: three.result.id }));
    assert.equal(created(reinstructed.events).length, 1);
    assert.match(reinstructed.result.output_text, /context: 8 messages \[system,user,assistant,user,assistant,user,assistant,user\] \| system: be rude/);
    const two_messages = await logged(() => ask({ previous_response_id: reinstructed.result.id,
      input: [{ role: 'assistant', content: 'I said so.' }, { role: 'user', content: 'did you?' }] }));
    assert.equal(created(two_messages.events).length, 1);
    assert.match(two_messages.result.output_text, /context: 10 messages/);
  });
}

test('previous_response_id on chatgptfree.ai keeps the bot\'s memory; tool calls carry over', async () => {
  const one = await client().responses.create({ model: 'gpt-4o-mini', input: 'hello bot' });
  assert.match(one.output_text, /^turn 1 \|/);
  const two = await client().responses.create({ model: 'gpt-4o-mini', input: 'again', previous_response_id: one.id });
  assert.match(two.output_text, /^turn 2 \|/, 'the upstream remembered the first turn');

  const call = await client().responses.create({ model: 'default', tools: [weather],
    input: 'Weather in Oslo? [call:get_weather]' });
  const fc = call.output.find((o) => o.type === 'function_call');
  assert.ok(fc, JSON.stringify(call.output));
  const answered = await client().responses.create({ model: 'default', tools: [weather], previous_response_id: call.id,
    input: [{ type: 'function_call_output', call_id: fc.call_id, output: 'snow, -3C' }] });
  assert.equal(answered.output_text, 'Tool said: snow, -3C');
});

test('a response in a conversation: its input and output become the conversation\'s items', async () => {
  const conv = await client().conversations.create({ items: [{ type: 'message', role: 'user', content: 'I like tea.' }] });
  const one = await client().responses.create({ model: 'default', conversation: conv.id, input: 'what do I like?' });
  assert.deepEqual(one.conversation, { id: conv.id });
  assert.match(one.output_text, /context: 2 messages \[user,user\]/, 'the seeded item is part of the history');
  const two = await client().responses.stream({ model: 'default', conversation: { id: conv.id }, input: 'and now?' }).finalResponse();
  assert.match(two.output_text, /^echo: and now\?/);

  const items = [];
  for await (const item of client().conversations.items.list(conv.id, { order: 'asc' })) items.push(item);
  assert.deepEqual(items.map((i) => [i.type, i.role]),
    [['message', 'user'], ['message', 'user'], ['message', 'assistant'], ['message', 'user'], ['message', 'assistant']]);
  assert.equal(items[2].id, one.output[0].id, 'the stored answer has the id the response gave it');
  assert.equal(items[2].content[0].text, one.output_text);
  assert.equal(items[4].id, two.output[0].id);

  await assert.rejects(client().responses.create({ model: 'default', conversation: 'conv_missing', input: 'x' }),
    (e) => e instanceof OpenAI.NotFoundError);
  await assert.rejects(client().responses.create({ model: 'default', conversation: conv.id, previous_response_id: one.id, input: 'x' }),
    (e) => e instanceof OpenAI.BadRequestError);
});

test('unsupported and bad requests are 400s in OpenAI shape; tools of other types are tolerated', async () => {
  await assert.rejects(client().responses.create({ model: 'default' }), (e) => e instanceof OpenAI.BadRequestError && e.param === 'input');
  await assert.rejects(client().responses.create({ model: 'nope', input: 'x' }), (e) => e instanceof OpenAI.NotFoundError);
  const tolerant = await client().responses.create({
    model: 'default', input: 'hosted tools are skipped',
    tools: [{ type: 'web_search' }, { type: 'namespace', name: 'mcp', tools: [] }, weather],
  });
  assert.equal(tolerant.status, 'completed');
  assert.deepEqual(tolerant.tools.map((t) => t.type), ['web_search', 'namespace', 'function'], 'every tool is shown as sent');
  const cut = await client().responses.create({ model: 'default', input: 'a long question to echo back', max_output_tokens: 3 });
  assert.equal(cut.status, 'incomplete');
  assert.deepEqual(cut.incomplete_details, { reason: 'max_output_tokens' });
  const raw = await rawRequest(web.gateway.url, { path: '/v1/responses', body: { model: 'default', input: 'x', stream: true } });
  assert.match(raw.body, /^event: response\.created\ndata: \{"type":"response\.created","sequence_number":0,/);
});

test('a freeform (custom) tool is called with its input and its output is answered, streamed', async () => {
  const patch = { type: 'custom', name: 'apply_patch', description: 'Edit files with a patch' };
  const input = [{ role: 'user', content: 'Fix the typo. [call:apply_patch] [arg:input=*** Begin Patch]' }];
  const first = await client().responses.stream({ model: 'default', tools: [patch], input }).finalResponse();
  const call = first.output.find((o) => o.type === 'custom_tool_call');
  assert.ok(call, JSON.stringify(first.output));
  assert.equal(call.name, 'apply_patch');
  assert.equal(call.input, '*** Begin Patch');
  input.push(call, { type: 'custom_tool_call_output', call_id: call.call_id, output: 'Done!' });
  const second = await client().responses.create({ model: 'default', tools: [patch], input });
  assert.equal(second.output_text, 'Tool said: Done!');
});
