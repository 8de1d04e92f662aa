// The frameworks our users build agents with, pointed at switchyard: the Vercel AI SDK (`ai` with
// `@ai-sdk/openai-compatible`) and LangChain.js (`@langchain/openai`), pinned in package.json.
// Their tool loops run against the emulator's web-chat models, whose tools are emulated.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateText, streamText, tool, stepCountIs } from 'ai';
import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import { ChatOpenAI } from '@langchain/openai';
import { tool as langchainTool } from '@langchain/core/tools';
import { HumanMessage } from '@langchain/core/messages';
import { z } from 'zod';
import { API_KEY, emulatorAndGateway } from '../e2e/harness.mjs';

const web = emulatorAndGateway();

/// Runs `f` and returns the emulator's events meanwhile.
async function logged(f) {
  const before = (await web.emulator.events()).length;
  const result = await f();
  return { result, events: (await web.emulator.events()).slice(before) };
}
const created = (events) => events.filter((e) => e.type === 'conversation_created').length;

const question = 'What is the weather in Paris? [call:get_weather]';

for (const [model, stream] of [['default', false], ['gpt-4o-mini', true]]) {
  test(`Vercel AI SDK: ${stream ? 'streamText' : 'generateText'} runs a tool loop over several steps (${model})`, async () => {
    const switchyard = createOpenAICompatible({ name: 'switchyard', baseURL: `${web.gateway.url}/v1`, apiKey: API_KEY });
    const seen = [];
    const tools = {
      get_weather: tool({
        description: 'Current weather in a city',
        inputSchema: z.object({ city: z.string() }),
        execute: async ({ city }) => { seen.push(city); return { forecast: `sunny in ${city}` }; },
      }),
    };
    const options = { model: switchyard(model), tools, stopWhen: stepCountIs(3), prompt: question, maxRetries: 0 };
    const { result: { text, steps }, events } = await logged(async () => {
      if (!stream) return generateText(options);
      const result = streamText(options);
      return { text: await result.text, steps: await result.steps };
    });
    assert.deepEqual(seen, ['Paris']);
    assert.equal(steps.length, 2);
    assert.equal(steps[0].finishReason, 'tool-calls');
    assert.equal(steps[0].toolCalls[0].toolName, 'get_weather');
    assert.deepEqual(steps[0].toolCalls[0].input, { city: 'Paris' });
    assert.equal(steps[1].finishReason, 'stop');
    assert.equal(text, 'Tool said: {"forecast":"sunny in Paris"}');
    if (model === 'default') assert.equal(created(events), 1, 'the second step continued the first one\'s FlowGPT conversation');
  });
}

test('LangChain.js: bindTools, invoke and stream, and the tool result continues the upstream chat', async () => {
  const weather = langchainTool(async ({ city }) => `sunny in ${city}`, {
    name: 'get_weather', description: 'Current weather in a city', schema: z.object({ city: z.string() }),
  });
  const llm = new ChatOpenAI({ model: 'default', apiKey: API_KEY, configuration: { baseURL: `${web.gateway.url}/v1` }, maxRetries: 0 });
  const withTools = llm.bindTools([weather]);

  const messages = [new HumanMessage(question)];
  const asked = await logged(() => withTools.invoke(messages));
  const ai = asked.result;
  assert.equal(ai.tool_calls.length, 1);
  assert.equal(ai.tool_calls[0].name, 'get_weather');
  assert.deepEqual(ai.tool_calls[0].args, { city: 'Paris' });
  messages.push(ai, await weather.invoke(ai.tool_calls[0]));
  // LangChain sends the call back with its arguments re-serialised; the history still matches.
  const answered = await logged(() => withTools.invoke(messages));
  assert.equal(answered.result.content, 'Tool said: sunny in Paris');
  assert.equal(created(answered.events), 0, 'the tool result went to the conversation that made the call');

  let streamed;
  for await (const chunk of await withTools.stream([new HumanMessage(question)]))
    streamed = streamed ? streamed.concat(chunk) : chunk;
  assert.equal(streamed.tool_calls.length, 1);
  assert.equal(streamed.tool_calls[0].name, 'get_weather');
  assert.deepEqual(streamed.tool_calls[0].args, { city: 'Paris' });
});
