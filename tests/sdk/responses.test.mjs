// The official openai SDK's Responses API (`client.responses`) against /v1/responses, stateless:
// the whole input every turn, as Codex CLI sends it.
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

test('unsupported and bad requests are 400s in OpenAI shape; tools of other types are tolerated', async () => {
  await assert.rejects(client().responses.create({ model: 'default', input: 'x', previous_response_id: 'resp_123' }),
    (e) => e instanceof OpenAI.BadRequestError && e.param === 'previous_response_id');
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
