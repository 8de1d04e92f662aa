// chatgptfree.ai (AIPKit) through the gateway, against the emulator's admin-ajax.php.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { API_KEY, emulatorAndGateway, withEmulatorAndGateway, startEmulator, startGateway, rawRequest, chat, user, parseSse, contentOf, sleep, reviveCredentials } from './harness.mjs';

const web = emulatorAndGateway();

const answerOf = (r) => JSON.parse(r.body).choices[0].message.content;
const streams = async (up) => (await up.events()).filter((e) => e.type === 'aipkit_stream');
const count = (events, type) => events.filter((e) => e.type === type).length;

/// Fails instead of hanging when the gateway does not answer within `ms`.
function within(ms, what, promise) {
  let timer;
  const late = new Promise((_, reject) => { timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms); });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

function assertUpstreamError(r, what) {
  assert.equal(r.status, 502, `${what}: ${r.body}`);
  assert.match(r.headers['content-type'], /^application\/json/, what);
  const { error } = JSON.parse(r.body);
  assert.equal(error.code, 'upstream_error', what);
  assert.match(error.message, /^chatgptfree\.ai /, what);
}

/// A fresh emulator and gateway for one test, stopped afterwards.
const withFreshPair = (emulatorArgs, body) => withEmulatorAndGateway({ emulatorArgs }, body);

test('the AIPKit models are listed as owned by chatgptfree', async () => {
  const list = JSON.parse((await rawRequest(web.gateway.url, { method: 'GET', path: '/v1/models' })).body).data;
  const byId = Object.fromEntries(list.map((m) => [m.id, m.owned_by]));
  for (const id of ['gpt-4o-mini', 'qwen3-30b-a3b', 'llama-4-maverick', 'gpt-5-nano', 'grok', 'deepseek', 'gemini', 'claude-sonnet',
    'perplexity-sonar', 'gemini-pro', 'claude-3-opus', 'meta-llama-3']) assert.equal(byId[id], 'chatgptfree', id);
});

test('answers stream and not; the client Origin is never forwarded; UTF-8 survives tiny writes', async () => {
  const plain = await chat(web.gateway.url, { model: 'gemini', messages: user('héllo 🎉 there') }, { origin: 'https://evil.example' });
  assert.equal(plain.status, 200, plain.body);
  assert.equal(answerOf(plain), 'turn 1 | bot 25874 | web off | images 0 | previous: none | prev_resp: none | you said: héllo 🎉 there');
  const streamed = await chat(web.gateway.url, { model: 'gemini', stream: true, messages: user('héllo 🎉 [scenario:tiny-writes]') },
    { origin: 'https://evil.example' });
  assert.equal(contentOf(parseSse(streamed.body).json),
    'turn 1 | bot 25874 | web off | images 0 | previous: none | prev_resp: none | you said: héllo 🎉 [scenario:tiny-writes]');
  assert.ok(!(await web.emulator.events()).some((e) => e.type === 'aipkit_origin_rejected'));
});

test('the emulator rejects a foreign Origin exactly as the plugin does', async () => {
  const nonce = await fetch(`${web.emulator.url}/wp-admin/admin-ajax.php`, {
    method: 'POST', headers: { origin: 'https://evil.example', 'content-type': 'application/x-www-form-urlencoded' },
    body: 'action=aipkit_get_frontend_chat_nonce&bot_id=25874',
  });
  assert.equal(nonce.status, 403);
  assert.equal((await nonce.json()).data.code, 'cors_denied');
  const stream = await fetch(`${web.emulator.url}/wp-admin/admin-ajax.php?action=aipkit_frontend_chat_stream&bot_id=25874&cache_key=x`,
    { headers: { origin: 'https://evil.example' } });
  assert.equal(stream.status, 200);
  const text = await stream.text();
  assert.ok(text.startsWith(`:${' '.repeat(4096)}\n\n`));
  assert.match(text, /event: error\nid: err-\d+\ndata: \{"error":"This domain is not permitted to access the chatbot\."\}\n\nevent: done\n/);
  assert.equal((await fetch(`${web.emulator.url}/wp-admin/admin-ajax.php?action=nope`)).status, 400);
});

test('error paths map to the right status', async () => {
  const quota = await chat(web.gateway.url, { model: 'gemini', messages: user('[scenario:quota]') });
  assert.equal(quota.status, 429);
  assert.equal(quota.headers['x-should-retry'], 'false');
  assert.equal(JSON.parse(quota.body).error.code, 'insufficient_quota');
  // The guest session now cools: the next request is answered without asking the site.
  const streams = (await web.emulator.events()).filter((e) => e.type === 'aipkit_stream').length;
  const again = await chat(web.gateway.url, { model: 'gemini', messages: user('hello') });
  assert.equal(again.status, 429);
  assert.equal(JSON.parse(again.body).error.code, 'insufficient_quota');
  assert.ok(Number(again.headers['retry-after']) > 500, again.headers['retry-after']); // the 10-minute quota cooldown
  assert.equal((await web.emulator.events()).filter((e) => e.type === 'aipkit_stream').length, streams);
  const guest = JSON.parse((await rawRequest(web.gateway.url, { method: 'GET', path: '/admin/credentials' })).body).data
    .find((c) => c.provider === 'chatgptfree');
  assert.equal(guest.state, 'cooling');
  assert.match(guest.reason, /^quota_exhausted: /);
  await reviveCredentials(web.gateway.url);

  const count = async (type) => (await web.emulator.events()).filter((e) => e.type === type).length;
  const [issued, streamed] = [await count('aipkit_nonce_issued'), await count('aipkit_stream')];
  const nonce = await chat(web.gateway.url, { model: 'gemini', messages: user('[scenario:stream-nonce]') });
  assert.equal(nonce.status, 502);
  assert.equal(await count('aipkit_nonce_issued') - issued, 1, 'the nonce is refreshed once');
  assert.equal(await count('aipkit_stream') - streamed, 2, 'then retried once, then the gateway gives up');

  const lost = await chat(web.gateway.url, { model: 'gemini', messages: user('[scenario:lost-key] again') });
  assert.equal(lost.status, 200, lost.body);
  assert.match(answerOf(lost), /you said: \[scenario:lost-key\] again$/);

  const api = await chat(web.gateway.url, { model: 'gemini', stream: true, messages: user('[scenario:api-error]') });
  assert.equal(api.status, 502);
  assert.equal(JSON.parse(api.body).error.code, 'upstream_error');
  assert.ok(!JSON.parse(api.body).error.message.includes('overloaded'), 'upstream error texts are not forwarded');

  const cut = await chat(web.gateway.url, { model: 'gemini', stream: true, messages: user('[scenario:disconnect] a b c d e f g h i j k l') });
  assert.equal(cut.status, 200);
  const { events, json } = parseSse(cut.body);
  assert.equal(json.at(-1).error.code, 'upstream_error');
  assert.equal(events.at(-1), '[DONE]');
});

test('images: data: URLs become image_inputs; bad ones are a clear 400', async () => {
  const png = 'data:image/png;base64,iVBORw0KGgo=';
  const parts = (urls) => [{ role: 'user', content: [{ type: 'text', text: 'look' }, ...urls.map((url) => ({ type: 'image_url', image_url: { url } }))] }];
  const ok = await chat(web.gateway.url, { model: 'gpt-4o-mini', messages: parts([png, png]) });
  assert.equal(ok.status, 200, ok.body);
  assert.match(answerOf(ok), /images 2/);
  for (const [urls, param] of [[[png, png, png, png, png], 'messages[0].content[5]'], [['data:image/gif;base64,R0lGOD=='], 'messages[0].content[1].image_url.url'],
    [['https://example.com/cat.png'], 'messages[0].content[1].image_url.url']]) {
    const r = await chat(web.gateway.url, { model: 'gpt-4o-mini', messages: parts(urls) });
    assert.equal(r.status, 400, r.body);
    assert.equal(JSON.parse(r.body).error.param, param);
  }
});

test('web_search sets frontend_web_search_active, and double-encoded text is repaired', async () => {
  const searched = await chat(web.gateway.url, { model: 'perplexity-sonar', web_search: true, messages: user('news') });
  assert.match(answerOf(searched), /\| web on \|/);
  assert.equal((await streams(web.emulator)).at(-1).web, 'true');
  const moji = await chat(web.gateway.url, { model: 'gemini', messages: user('ça va, señor? [scenario:double-encode]') });
  assert.match(answerOf(moji), /you said: ça va, señor\? \[scenario:double-encode\]$/);
});

test('nonce rotation in the middle of a run is absorbed', async () => {
  const up = await startEmulator(['--nonce-ttl-ms', '300']);
  const gw = await startGateway({ emulator: up, env: { CHATGPTFREE_BASE_URL: up.url } });
  try {
    assert.equal((await chat(gw.url, { model: 'gemini', messages: user('early') })).status, 200);
    await sleep(800); // two ticks: the nonce the gateway holds is no longer accepted
    const late = await chat(gw.url, { model: 'gemini', messages: user('late') });
    assert.equal(late.status, 200, late.body);
    const ev = await up.events();
    assert.ok(ev.some((e) => e.type === 'aipkit_nonce_rejected' && e.step === 'cache'));
    assert.equal(ev.filter((e) => e.type === 'aipkit_nonce_issued').length, 2);
  } finally {
    await gw.stop();
    await up.stop();
  }
});

test('30 concurrent one-shot requests use 30 fresh upstream conversations', async () => {
  const rs = await Promise.all(Array.from({ length: 30 }, (_, i) => chat(web.gateway.url, { model: 'grok', messages: user(`solo ${i}`) })));
  rs.forEach((r, i) => assert.equal(answerOf(r), `turn 1 | bot 25872 | web off | images 0 | previous: none | prev_resp: none | you said: solo ${i}`));
  const uuids = (await streams(web.emulator)).filter((e) => /^solo \d+$/.test(e.message)).map((e) => e.conversation_uuid);
  assert.equal(new Set(uuids).size, 30);
  assert.ok(uuids.every((u) => /^[0-9a-f-]{36}$/.test(u)), 'lowercase UUIDs');
});

async function newConversation(url) {
  const r = await rawRequest(url, { path: '/v1/conversations', body: {} });
  return JSON.parse(r.body).id;
}

test('a three-turn conversation keeps one upstream memory and relays previous_openai_response_id', async () => {
  const id = await newConversation(web.gateway.url);
  const t1 = answerOf(await chat(web.gateway.url, { model: 'gpt-5-nano', conversation_id: id, messages: user('one') }));
  assert.equal(t1, 'turn 1 | bot 25871 | web off | images 0 | previous: none | prev_resp: none | you said: one');
  const t2r = await chat(web.gateway.url, { model: 'gpt-5-nano', stream: true, conversation_id: id, messages: user('two') });
  const t2 = contentOf(parseSse(t2r.body).json);
  assert.match(t2, /^turn 2 \| bot 25871 \| web off \| images 0 \| previous: turn 1 \| bot \| prev_resp: resp_[0-9a-f]{24} \| you said: two$/);
  const t3 = answerOf(await chat(web.gateway.url, { model: 'gpt-5-nano', conversation_id: id, messages: user('three') }));
  assert.match(t3, /^turn 3 \| .* previous: turn 2 \| bot \| prev_resp: resp_/);
  const mine = (await streams(web.emulator)).filter((e) => ['one', 'two', 'three'].includes(e.message));
  assert.equal(new Set(mine.map((e) => e.conversation_uuid)).size, 1);
  assert.equal(new Set(mine.map((e) => e.session_id)).size, 1);
  assert.equal(mine[0].previous_openai_response_id, '');
  assert.notEqual(mine[1].previous_openai_response_id, mine[2].previous_openai_response_id);
  const switched = await chat(web.gateway.url, { model: 'default', conversation_id: id, messages: user('to flowgpt') });
  assert.equal(switched.status, 400);
  assert.equal(JSON.parse(switched.body).error.param, 'model');
});

test('kill -9 between turns: the AIPKit conversation continues after a restart', async () => {
  let gw = await startGateway({ emulator: web.emulator, env: { CHATGPTFREE_BASE_URL: web.emulator.url } });
  const id = await newConversation(gw.url);
  assert.match(answerOf(await chat(gw.url, { model: 'claude-sonnet', conversation_id: id, messages: user('before') })), /^turn 1 /);
  await gw.stop('SIGKILL');
  gw = await startGateway({ emulator: web.emulator, env: { CHATGPTFREE_BASE_URL: web.emulator.url }, dir: gw.dir });
  try {
    assert.match(answerOf(await chat(gw.url, { model: 'claude-sonnet', conversation_id: id, messages: user('after') })),
      /^turn 2 \| bot 25875 .* previous: turn 1 \| bot .* you said: after$/);
  } finally {
    await gw.stop();
  }
});

test('odd nonce replies are a JSON 502 upstream_error, streamed or not, and never hang', async () => {
  for (const [scenario, shape] of [['nonce-success-number', 'success=number data=object'], ['nonce-no-data', 'success=boolean data=missing'],
    ['nonce-data-string', 'success=boolean data=string'], ['nonce-number', 'data: nonce=number']]) {
    await withFreshPair(['--scenario', scenario], async (up, gw) => {
      assertUpstreamError(await within(3000, scenario, chat(gw.url, { model: 'gemini', messages: user('hi') })), scenario);
      const streamed = await within(3000, `${scenario} streamed`, chat(gw.url, { model: 'gemini', stream: true, messages: user('hi') }));
      assertUpstreamError(streamed, `${scenario} streamed`); // nothing was committed: no text arrived
      assert.equal(count(await up.events(), 'aipkit_cached'), 0, scenario);
      assert.match(gw.proc.logs, new RegExp(`\\[[^\\]]+\\] chatgptfree nonce reply unreadable \\(.*${shape.replace(/[()]/g, '')}`), scenario);
    });
  }
});

test('odd cache replies are a JSON 502 upstream_error, streamed or not, and never hang', async () => {
  for (const scenario of ['cache-success-number', 'cache-key-number', 'cache-data-array', 'cache-code-number']) {
    for (const stream of [false, true]) {
      const what = `${scenario}${stream ? ' streamed' : ''}`;
      assertUpstreamError(await within(3000, what, chat(web.gateway.url, { model: 'gemini', stream, messages: user(`[scenario:${scenario}]`) })), what);
    }
  }
  // The gateway is still healthy afterwards.
  assert.equal((await chat(web.gateway.url, { model: 'gemini', messages: user('after odd replies') })).status, 200);
});

test('eight concurrent requests on a fresh gateway share one nonce fetch', async () => {
  await withFreshPair(['--nonce-delay-ms', '300'], async (up, gw) => {
    const rs = await Promise.all(Array.from({ length: 8 }, (_, i) => chat(gw.url, { model: 'gemini', messages: user(`together ${i}`) })));
    rs.forEach((r, i) => {
      assert.equal(r.status, 200, r.body);
      assert.match(answerOf(r), new RegExp(`you said: together ${i}$`));
    });
    const ev = await up.events();
    assert.equal(count(ev, 'aipkit_nonce_issued'), 1, 'one fetch for all eight');
    assert.equal(count(ev, 'aipkit_stream'), 8);
  });
});

test('a failed nonce fetch fails every request waiting for it, with one fetch', async () => {
  // Shorter than the gateway's commit_hold (300 ms in tests), so streamed requests are not yet committed.
  await withFreshPair(['--nonce-delay-ms', '100', '--scenario', 'nonce-success-number'], async (up, gw) => {
    const rs = await within(5000, 'eight waiters', Promise.all(Array.from({ length: 8 }, (_, i) =>
      chat(gw.url, { model: 'gemini', stream: i % 2 === 1, messages: user(`doomed ${i}`) }))));
    rs.forEach((r, i) => assertUpstreamError(r, `request ${i}`));
    assert.equal(count(await up.events(), 'aipkit_nonce_issued'), 1);
  });
});
