// Tool calling through the front door: native on the OpenAI-compatible upstream, emulated on
// FlowGPT and chatgptfree.ai, streaming and not. The emulator's model calls tools when the
// question carries [call:…] markers (tests/emulators/tool_answers.hpp).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startEmulator, startGateway, chat, parseSse, contentOf } from './harness.mjs';

let emulator;
let gateway;

before(async () => {
  emulator = await startEmulator();
  gateway = await startGateway({
    emulator,
    env: { CHATGPTFREE_BASE_URL: emulator.url, OPENAI_BASE_URL: `${emulator.url}/v1`, OPENAI_MODELS: 'emu-small' },
  });
});
after(async () => {
  await gateway?.stop();
  await emulator?.stop();
});

const weather = {
  type: 'function',
  function: {
    name: 'get_weather', description: 'Current weather in a city',
    parameters: { type: 'object', properties: { city: { type: 'string', minLength: 2 } }, required: ['city'], additionalProperties: false },
  },
};
const time = { type: 'function', function: { name: 'get_time', parameters: { type: 'object', properties: { zone: { type: 'string' } }, required: ['zone'] } } };
const strictWeather = { type: 'function', function: { ...weather.function, strict: true } };

/// The calls of a non-streamed answer, or of a stream put together as the SDKs do it.
function callsOf(r, stream) {
  if (!stream) {
    const choice = JSON.parse(r.body).choices[0];
    return { calls: choice.message.tool_calls ?? [], content: choice.message.content, finish: choice.finish_reason };
  }
  const { events, json } = parseSse(r.body);
  assert.equal(events.at(-1), '[DONE]');
  const calls = [];
  for (const chunk of json) {
    for (const d of chunk.choices?.[0]?.delta?.tool_calls ?? []) {
      assert.equal(typeof d.index, 'number', 'every tool-call delta has an index');
      assert.equal(typeof d.function, 'object', 'every tool-call delta has a function object');
      if (d.id) {
        assert.equal(calls[d.index], undefined, 'an id opens a call once');
        calls[d.index] = { id: d.id, type: d.type, function: { name: d.function.name, arguments: d.function.arguments ?? '' } };
      } else {
        calls[d.index].function.arguments += d.function.arguments;
      }
    }
  }
  const finish = json.map((c) => c.choices?.[0]?.finish_reason).filter(Boolean);
  assert.equal(finish.length, 1, 'one finish_reason');
  return { calls, content: contentOf(json), finish: finish[0] };
}

const models = { flowgpt: 'default', chatgptfree: 'gpt-4o-mini', openai: 'emu-small' };

for (const [provider, model] of Object.entries(models)) {
  for (const stream of [false, true]) {
    test(`${provider}${stream ? ', streaming' : ''}: a two-step tool loop (call, result, final answer)`, async () => {
      const question = { role: 'user', content: 'Weather in Paris? [call:get_weather]' };
      const first = await chat(gateway.url, { model, stream, tools: [weather, time], messages: [question] });
      assert.equal(first.status, 200, first.body);
      const { calls, content, finish } = callsOf(first, stream);
      assert.equal(finish, 'tool_calls');
      assert.equal(calls.length, 1);
      assert.match(calls[0].id, /^call_/);
      assert.equal(calls[0].type, 'function');
      assert.equal(calls[0].function.name, 'get_weather');
      assert.deepEqual(JSON.parse(calls[0].function.arguments), { city: 'Paris' });
      if (!stream) assert.equal(content, null);
      else assert.equal(content, '');

      const second = await chat(gateway.url, {
        model, stream, tools: [weather, time],
        messages: [question, { role: 'assistant', content: null, tool_calls: calls }, { role: 'tool', tool_call_id: calls[0].id, content: '18C and sunny' }],
      });
      assert.equal(second.status, 200, second.body);
      const final = callsOf(second, stream);
      assert.equal(final.finish, 'stop');
      assert.equal(final.calls.length, 0);
      assert.equal(final.content, 'Tool said: 18C and sunny');
    });
  }
}

for (const [provider, model] of Object.entries({ flowgpt: 'default', chatgptfree: 'gpt-4o-mini' })) {
  test(`${provider}: parallel calls in each format, text outside calls kept`, async () => {
    for (const format of ['tag', 'fence', 'bare']) {
      for (const stream of [false, true]) {
        const names = format === 'bare' ? 'get_time' : 'get_weather,get_time';
        const r = await chat(gateway.url, {
          model, stream, tools: [weather, time],
          messages: [{ role: 'user', content: `Weather and time? [call:${names}] [format:${format}]${format === 'bare' ? '' : ' [preamble]'}` }],
        });
        assert.equal(r.status, 200, r.body);
        const { calls, content, finish } = callsOf(r, stream);
        assert.equal(finish, 'tool_calls', `${format} ${stream}`);
        assert.deepEqual(calls.map((c) => c.function.name), names.split(','), `${format} ${stream}`);
        assert.deepEqual(calls.map((c) => c.index ?? 0).length, names.split(',').length);
        if (format !== 'bare') assert.equal(content, 'Let me look that up.\n', `${format} ${stream}`);
        assert.doesNotMatch(content ?? '', /tool_call|```|"arguments"/);
        assert.equal(new Set(calls.map((c) => c.id)).size, calls.length, 'ids are distinct');
      }
    }
  });

  test(`${provider}: tool_choice none leaves tools out; required retries prose once; a named function is called`, async () => {
    const none = await chat(gateway.url, { model, tool_choice: 'none', tools: [weather], messages: [{ role: 'user', content: 'Weather? [call:get_weather]' }] });
    assert.equal(none.status, 200, none.body);
    const plain = JSON.parse(none.body).choices[0];
    assert.equal(plain.finish_reason, 'stop');
    assert.equal(plain.message.tool_calls, undefined);
    assert.doesNotMatch(plain.message.content, /# Tools/);

    const before = (await emulator.events()).length;
    const required = await chat(gateway.url, { model, stream: true, tool_choice: 'required', tools: [weather], messages: [{ role: 'user', content: 'Weather? [call:get_weather] [prose]' }] });
    assert.equal(required.status, 200, required.body);
    const got = callsOf(required, true);
    assert.equal(got.finish, 'tool_calls');
    assert.equal(got.calls[0].function.name, 'get_weather');
    assert.equal(got.content, '', 'the prose of the first try never reached the client');
    const asked = (await emulator.events()).slice(before).filter((e) => e.type === 'chat' || e.type === 'aipkit_stream');
    assert.equal(asked.length, 2, 'one retry');

    const named = await chat(gateway.url, { model, tool_choice: { type: 'function', function: { name: 'get_time' } }, tools: [weather, time], messages: [{ role: 'user', content: 'Time? [call:get_time]' }] });
    assert.equal(named.status, 200, named.body);
    assert.equal(JSON.parse(named.body).choices[0].message.tool_calls[0].function.name, 'get_time');
  });

  test(`${provider}: an invalid call gets one repair round; a strict tool still invalid is a 502 tool_arguments_invalid`, async () => {
    for (const stream of [false, true]) {
      const repaired = await chat(gateway.url, { model, stream, tools: [strictWeather], messages: [{ role: 'user', content: 'Weather? [call:get_weather] [args:bad]' }] });
      assert.equal(repaired.status, 200, repaired.body);
      const got = callsOf(repaired, stream);
      assert.deepEqual(JSON.parse(got.calls[0].function.arguments), { city: 'Paris' });

      const failed = await chat(gateway.url, { model, stream, tools: [strictWeather], messages: [{ role: 'user', content: 'Weather? [call:get_weather] [args:always-bad]' }] });
      assert.equal(failed.status, 502, failed.body);
      const err = JSON.parse(failed.body).error;
      assert.equal(err.code, 'tool_arguments_invalid');
      assert.match(err.message, /missing the required property 'city'/);

      // Not strict: after the repair round the call is returned as the model wrote it.
      const loose = await chat(gateway.url, { model, stream, tools: [weather], messages: [{ role: 'user', content: 'Weather? [call:get_weather] [args:always-bad]' }] });
      assert.equal(loose.status, 200, loose.body);
      assert.equal(callsOf(loose, stream).calls[0].function.arguments, '{}');
    }
  });
}

test('openai: tools, tool_choice and parallel_tool_calls go upstream; parallel calls stream as OpenAI does', async () => {
  const r = await chat(gateway.url, {
    model: 'emu-small', stream: true, tools: [weather, time], tool_choice: 'required', parallel_tool_calls: true,
    messages: [{ role: 'user', content: 'Both [call:get_weather,get_time]' }],
  });
  assert.equal(r.status, 200, r.body);
  const { calls, finish } = callsOf(r, true);
  assert.equal(finish, 'tool_calls');
  assert.deepEqual(calls.map((c) => c.function.name), ['get_weather', 'get_time']);
  assert.deepEqual(calls.map((c) => c.function.arguments), ['{"city":"Paris"}', '{"city":"Paris"}']);
  const seen = (await emulator.events()).filter((e) => e.type === 'openai_chat').at(-1);
  assert.equal(seen.tools, 2);
  assert.equal(seen.tool_choice, 'required');
});

test('openai: reasoning_content deltas pass through, streaming and not', async () => {
  const s = await chat(gateway.url, { model: 'emu-small', stream: true, messages: [{ role: 'user', content: 'Think [reasoning]' }] });
  const { json } = parseSse(s.body);
  assert.equal(json.map((c) => c.choices?.[0]?.delta?.reasoning_content ?? '').join(''), 'Thinking about it.');
  assert.equal(contentOf(json), 'Sunny.');
  const whole = await chat(gateway.url, { model: 'emu-small', messages: [{ role: 'user', content: 'Think [reasoning]' }] });
  const message = JSON.parse(whole.body).choices[0].message;
  assert.equal(message.reasoning_content, 'Thinking about it.');
  assert.equal(message.content, 'Sunny.');
});

test('bad tool requests are 400s in OpenAI shape', async () => {
  const cases = [
    [{ tools: [weather], tool_choice: { type: 'function', function: { name: 'nope' } } }, 'tool_choice'],
    [{ tools: [{ type: 'function', function: { name: 'bad name' } }] }, 'tools[0].function.name'],
    [{ tool_choice: 'required' }, 'tool_choice'],
  ];
  for (const [extra, param] of cases) {
    const r = await chat(gateway.url, { model: 'default', messages: [{ role: 'user', content: 'x' }], ...extra });
    assert.equal(r.status, 400, r.body);
    assert.equal(JSON.parse(r.body).error.param, param);
  }
});

test('reasoning on web chats: a model set to inline keeps the <think> block in content, one set to drop loses it', async () => {
  const models = [
    { id: 'flow-inline', provider: 'flowgpt', upstream_id: 'uzNcMUGo4sOwl4GFvRpm8', reasoning: 'inline' },
    { id: 'flow-drop', provider: 'flowgpt', upstream_id: 'uzNcMUGo4sOwl4GFvRpm8', reasoning: 'drop' },
    { id: 'free-inline', provider: 'chatgptfree', upstream_id: '25874', reasoning: 'inline' },
    { id: 'free-drop', provider: 'chatgptfree', upstream_id: '25874', reasoning: 'drop' },
  ];
  const gw = await startGateway({ emulator, env: { CHATGPTFREE_BASE_URL: emulator.url }, config: { models } });
  try {
    for (const { id, reasoning } of models) {
      for (const stream of [false, true]) {
        const r = await chat(gw.url, { model: id, stream, messages: [{ role: 'user', content: `hi [scenario:think] ${stream}` }] });
        assert.equal(r.status, 200, r.body);
        let content;
        let split;
        if (stream) {
          const { json } = parseSse(r.body);
          content = contentOf(json);
          split = json.map((c) => c.choices?.[0]?.delta?.reasoning_content ?? '').join('');
        } else {
          const { message } = JSON.parse(r.body).choices[0];
          content = message.content;
          split = message.reasoning_content ?? '';
        }
        assert.equal(split, '', `${id}: nothing in reasoning_content`);
        if (reasoning === 'inline') assert.match(content, /^<think>I should echo the question\.<\/think>\n*\S/, id);
        else assert.doesNotMatch(content, /think>|I should echo/, id);
        assert.match(content, new RegExp(`hi .*${stream}`), id);
      }
    }
  } finally {
    await gw.stop();
  }
});

test('reasoning on web chats: a <think> block and a FlowGPT thinking preamble become reasoning_content', async () => {
  for (const [model, scenario] of [['default', 'think'], ['gpt-4o-mini', 'think'], ['default', 'thinking-preamble']]) {
    const s = await chat(gateway.url, { model, stream: true, messages: [{ role: 'user', content: `hi [scenario:${scenario}]` }] });
    assert.equal(s.status, 200, s.body);
    const { json } = parseSse(s.body);
    const reasoning = json.map((c) => c.choices?.[0]?.delta?.reasoning_content ?? '').join('');
    const content = contentOf(json);
    if (scenario === 'think') assert.equal(reasoning, 'I should echo the question.', model);
    else assert.equal(reasoning, 'Thinking: the user wants an echo, so I echo.');
    assert.doesNotMatch(content, /think>|Thinking:/, model);
    assert.match(content, /hi/, model);
  }
});
