// The official Anthropic SDK (`@anthropic-ai/sdk`, pinned in package.json) against /v1/messages,
// on the emulator's web-chat and OpenAI-compatible models.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import Anthropic from '@anthropic-ai/sdk';
import { API_KEY, emulatorAndGateway } from '../e2e/harness.mjs';

const web = emulatorAndGateway({ OPENAI_BASE_URL: undefined });
const client = () => new Anthropic({ apiKey: API_KEY, baseURL: web.gateway.url, maxRetries: 0 });

const weather = {
  name: 'get_weather', description: 'Current weather in a city',
  input_schema: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
};

test('messages.create: a text answer with end_turn and usage', async () => {
  const message = await client().messages.create({
    model: 'default', max_tokens: 200, system: 'be brief', messages: [{ role: 'user', content: 'hello from claude' }],
  });
  assert.match(message.id, /^msg_/);
  assert.equal(message.type, 'message');
  assert.equal(message.role, 'assistant');
  assert.equal(message.stop_reason, 'end_turn');
  assert.equal(message.content[0].type, 'text');
  assert.match(message.content[0].text, /^echo: hello from claude \| context: 2 messages \[system,user\] \| system: be brief/);
  assert.ok(message.usage.input_tokens > 0 && message.usage.output_tokens > 0);
});

test('messages.stream(): text deltas, finalMessage and a stop sequence', async () => {
  const stream = client().messages.stream({
    model: 'gpt-4o-mini', max_tokens: 200, stop_sequences: ['| web'], messages: [{ role: 'user', content: 'stream me' }],
  });
  let text = '';
  stream.on('text', (t) => { text += t; });
  const final = await stream.finalMessage();
  assert.equal(final.stop_reason, 'stop_sequence');
  assert.equal(final.stop_sequence, '| web');
  assert.equal(final.content[0].text, text);
  assert.match(text, /^turn 1 \| bot \d+ $/);
});

test('tools: tool_use, then the tool_result answered, streaming and not', async () => {
  for (const [model, streaming] of [['default', false], ['gpt-4o-mini', true]]) {
    const messages = [{ role: 'user', content: 'What is the weather in Paris? [call:get_weather]' }];
    const ask = (m) => streaming
      ? client().messages.stream({ model, max_tokens: 300, tools: [weather], messages: m }).finalMessage()
      : client().messages.create({ model, max_tokens: 300, tools: [weather], messages: m });
    const first = await ask(messages);
    assert.equal(first.stop_reason, 'tool_use', model);
    const use = first.content.find((b) => b.type === 'tool_use');
    assert.equal(use.name, 'get_weather');
    assert.deepEqual(use.input, { city: 'Paris' });
    messages.push({ role: 'assistant', content: first.content },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: use.id, content: 'sunny, 21C' }] });
    const second = await ask(messages);
    assert.equal(second.stop_reason, 'end_turn', model);
    assert.equal(second.content.map((b) => b.text).join(''), 'Tool said: sunny, 21C', model);
  }
});

test('thinking: a <think> block arrives as a thinking content block', async () => {
  const final = await client().messages.stream({
    model: 'default', max_tokens: 200, messages: [{ role: 'user', content: 'hi [scenario:think]' }],
  }).finalMessage();
  assert.deepEqual(final.content.map((b) => b.type), ['thinking', 'text']);
  assert.equal(final.content[0].thinking, 'I should echo the question.');
  assert.match(final.content[1].text, /hi/);
});

test('count_tokens and errors in Anthropic\'s shape', async () => {
  const counted = await client().messages.countTokens({ model: 'default', messages: [{ role: 'user', content: 'count these words please' }] });
  assert.ok(counted.input_tokens > 0);

  await assert.rejects(new Anthropic({ apiKey: 'wrong', baseURL: web.gateway.url, maxRetries: 0 })
    .messages.create({ model: 'default', max_tokens: 10, messages: [{ role: 'user', content: 'x' }] }),
  (e) => e instanceof Anthropic.AuthenticationError && e.status === 401 && e.error.error.type === 'authentication_error');
  await assert.rejects(client().messages.create({ model: 'default', messages: [{ role: 'user', content: 'x' }] }),
    (e) => e instanceof Anthropic.BadRequestError && /max_tokens/.test(e.message));
  await assert.rejects(client().messages.create({ model: 'no-such-model', max_tokens: 10, messages: [{ role: 'user', content: 'x' }] }),
    (e) => e instanceof Anthropic.NotFoundError && e.error.error.type === 'not_found_error');
});
