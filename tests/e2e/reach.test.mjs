// Upstream reach: FlowGPT prompts as models, FlowGPT's three /v3/chat forms and the fallback
// between them (upstreams.md A.3–A.5), and any AIPKit site with the bots found on its chat pages
// (B.0), against the emulator.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startEmulator, startGateway, runGateway, withEmulatorAndGateway, rawRequest, chat, user, repoRoot, scratchDir, chatPages } from './harness.mjs';

const answerOf = (r) => JSON.parse(r.body).choices[0].message.content;
const ofType = async (up, type) => (await up.events()).filter((e) => e.type === type);
const getJson = async (url, path) => {
  const r = await rawRequest(url, { method: 'GET', path });
  return { status: r.status, body: JSON.parse(r.body) };
};
const setForms = (up, forms) => fetch(`${up.url}/_emulator/settings`, { method: 'POST', body: JSON.stringify({ flowgpt_forms: forms }) });

const withPair = withEmulatorAndGateway;

test('a FlowGPT prompt is a model: flowgpt/<slug> is looked up once, then cached', async () => {
  await withPair({}, async (up, gw) => {
    const r = await chat(gw.url, { model: 'flowgpt/pirate-captain', messages: user('ahoy') });
    assert.equal(r.status, 200, r.body);
    assert.equal(JSON.parse(r.body).model, 'flowgpt/pirate-captain');
    assert.match(answerOf(r), /^echo: ahoy/);
    const again = await chat(gw.url, { model: 'flowgpt/pirate-captain', messages: user('again'), stream: true });
    assert.equal(again.status, 200, again.body);
    assert.equal((await ofType(up, 'prompt_lookup')).length, 1, 'the second request used the cached prompt');
    // The promptId the lookup named is the one the chat ran on.
    const chats = await ofType(up, 'chat');
    assert.deepEqual(chats.map((c) => c.promptId), ['pIrAtEcApTaIn-0000002', 'pIrAtEcApTaIn-0000002']);

    const card = await getJson(gw.url, '/v1/models/flowgpt/pirate-captain');
    assert.equal(card.status, 200, JSON.stringify(card.body));
    assert.equal(card.body.id, 'flowgpt/pirate-captain');
    assert.equal(card.body.owned_by, 'flowgpt');
    assert.equal(card.body.title, 'Pirate Captain');
    assert.equal(card.body.description, 'Talks like a pirate, arr.');
    // Configured aliases keep working beside prompt models.
    assert.equal((await chat(gw.url, { model: 'gpt-4-free', messages: user('hi') })).status, 200);
  });
});

test('an unknown slug is a 404 model_not_found; a failed lookup is a 502 that names it', async () => {
  await withPair({}, async (up, gw) => {
    for (const model of ['flowgpt/no-such-prompt', 'flowgpt/../admin', 'flowgpt/']) {
      const r = await chat(gw.url, { model, messages: user('hi') });
      assert.equal(r.status, 404, `${model}: ${r.body}`);
      const { error } = JSON.parse(r.body);
      assert.equal(error.code, 'model_not_found', model);
      assert.equal(error.param, 'model', model);
    }
    const card = await getJson(gw.url, '/v1/models/flowgpt/no-such-prompt');
    assert.equal(card.status, 404);
    assert.equal(card.body.error.code, 'model_not_found');
    // Only the well-formed slug reached the upstream, and its absence is remembered.
    assert.deepEqual((await ofType(up, 'prompt_lookup')).map((e) => e.slug), ['no-such-prompt']);

    const broken = await chat(gw.url, { model: 'flowgpt/broken-lookup', messages: user('hi') });
    assert.equal(broken.status, 502, broken.body);
    assert.match(JSON.parse(broken.body).error.message, /prompt lookup for `broken-lookup` failed \(HTTP 500\)/);
    assert.equal((await ofType(up, 'chat')).length, 0, 'no chat was tried without a prompt');
  });
  // The upstream down: still a 502 naming the lookup, never a hang.
  const gone = await startEmulator();
  const gw = await startGateway({ emulator: gone });
  try {
    await gone.stop();
    const r = await chat(gw.url, { model: 'flowgpt/pirate-captain', messages: user('hi') });
    assert.equal(r.status, 502, r.body);
    assert.match(JSON.parse(r.body).error.message, /prompt lookup for `pirate-captain` failed/);
  } finally {
    await gw.stop();
  }
});

test('prompt lookups are bounded: none for a caller who may not use the model, and a burst of new slugs is slowed down', async () => {
  const narrow = 'sk-narrow-0123456789';
  await withPair({ config: { keys: [{ name: 'narrow', key: narrow, models: ['default'] }] } }, async (up, gw) => {
    const refused = await rawRequest(gw.url, { body: { model: 'flowgpt/pirate-captain', messages: user('hi') },
      headers: { authorization: `Bearer ${narrow}` } });
    assert.equal(refused.status, 403, refused.body);
    assert.equal((await ofType(up, 'prompt_lookup')).length, 0);
    const rs = await Promise.all(Array.from({ length: 30 }, (_, i) => chat(gw.url, { model: `flowgpt/nothing-${i}`, messages: user('x') })));
    const slowed = rs.filter((r) => r.status === 429);
    assert.ok(slowed.length >= 5, rs.map((r) => r.status).join(' '));
    assert.equal(slowed[0].headers['retry-after'], '1');
    assert.ok(rs.every((r) => r.status === 404 || r.status === 429));
    assert.ok((await ofType(up, 'prompt_lookup')).length <= 25);
  });
  await withPair({ env: { FLOWGPT_BEARER_TOKEN: undefined } }, async (up, gw) => {
    const r = await chat(gw.url, { model: 'flowgpt/pirate-captain', messages: user('hi') });
    assert.equal(r.status, 503, r.body);
    assert.equal((await ofType(up, 'prompt_lookup')).length, 0, 'no lookup for a provider that cannot answer');
  });
});

test('FLOWGPT_MODE=conversation seeds /conversation/create; history sends the context inline', async () => {
  const messages = [{ role: 'system', content: 'be brief' }, { role: 'user', content: 'one' },
    { role: 'assistant', content: 'uno' }, { role: 'user', content: 'two' }];
  await withPair({}, async (up, gw) => {
    const r = await chat(gw.url, { messages });
    assert.equal(r.status, 200, r.body);
    assert.equal(answerOf(r), 'echo: two | context: 4 messages [system,user,assistant,user] | system: be brief | temperature: 0.70');
    assert.equal((await ofType(up, 'conversation_created')).length, 1);
    assert.deepEqual((await ofType(up, 'chat')).map((c) => c.form), ['conversation']);
  });
  await withPair({ env: { FLOWGPT_MODE: 'history' } }, async (up, gw) => {
    const r = await chat(gw.url, { messages });
    assert.equal(r.status, 200, r.body);
    assert.equal(answerOf(r),
      'echo: two | context: 4 messages [system,user,assistant,user] | system: be brief | temperature: 0.70 | form: history');
    assert.equal((await ofType(up, 'conversation_created')).length, 0, 'no conversation/create in the history form');
    // A stored conversation sends its whole context every turn: there is no upstream memory to lean on.
    const conv = JSON.parse((await rawRequest(gw.url, { path: '/v1/conversations', body: {} })).body);
    assert.equal((await chat(gw.url, { messages: user('first'), conversation_id: conv.id })).status, 200);
    const second = await chat(gw.url, { messages: user('second'), conversation_id: conv.id });
    assert.equal(answerOf(second), 'echo: second | context: 3 messages [user,assistant,user] | temperature: 0.70 | form: history');
    const models = (await getJson(gw.url, '/v1/models')).body.data;
    assert.equal(models.find((m) => m.id === 'default').health.routes[0].note, undefined, 'a chosen mode is no fallback');
  });
});

test('when /conversation/create disappears, FlowGPT falls back to the history form by itself, logs it once and shows it', async () => {
  await withPair({}, async (up, gw) => {
    assert.equal((await chat(gw.url, { messages: user('before') })).status, 200);
    await setForms(up, ['history', 'anonymous']);
    for (const q of ['after', 'and after']) {
      const r = await chat(gw.url, { messages: user(q), stream: q === 'after' });
      assert.equal(r.status, 200, r.body);
      assert.match(r.body, /form: history/);
    }
    assert.deepEqual((await ofType(up, 'chat')).map((c) => c.form), ['conversation', 'history', 'history']);
    assert.equal((await ofType(up, 'flowgpt_route_gone')).length, 1, 'create was tried once, then never again');
    const logged = () => gw.proc.logs.split('\n').filter((l) => /conversation\/create answered HTTP 404/.test(l));
    for (let i = 0; i < 50 && logged().length === 0; i++) await new Promise((r) => setTimeout(r, 20)); // the log is a pipe
    const warnings = logged();
    assert.equal(warnings.length, 1, gw.proc.logs);
    assert.match(warnings[0], /warn/);
    const model = (await getJson(gw.url, '/v1/models/default')).body;
    assert.match(model.health.routes[0].note, /history form/);
    assert.equal(model.health.status, 'up');
  });
});

test('a 404 for an unknown prompt is the model missing, not the endpoint gone: the form stays', async () => {
  const models = JSON.parse(readFileSync(join(repoRoot, 'config/switchyard.json'), 'utf8')).models;
  models.push({ id: 'lost', provider: 'flowgpt', upstream_id: 'missing-prompt' });
  await withPair({ config: { models } }, async (up, gw) => {
    const r = await chat(gw.url, { model: 'lost', messages: user('hi') });
    assert.equal(r.status, 404, r.body);
    assert.equal(JSON.parse(r.body).error.code, 'model_not_found');
    assert.match(JSON.parse(r.body).error.message, /does not know the prompt `missing-prompt`/);
    assert.equal((await chat(gw.url, { messages: user('still') })).status, 200);
    assert.deepEqual((await ofType(up, 'chat')).map((c) => c.form), ['conversation']);
    assert.equal((await getJson(gw.url, '/v1/models/default')).body.health.routes[0].note, undefined);
  });
});

test('with history off too, the fallback fails clearly instead of looping', async () => {
  await withPair({ emulatorArgs: ['--flowgpt-forms', 'anonymous'] }, async (up, gw) => {
    const r = await chat(gw.url, { messages: user('hi') });
    assert.equal(r.status, 502, r.body);
    assert.match(JSON.parse(r.body).error.message, /^FlowGPT chat failed with HTTP 400/);
    assert.equal((await ofType(up, 'flowgpt_route_gone')).length, 1);
  });
});

test('FLOWGPT_ANONYMOUS=1 without a token uses /v3/chat-anonymous and its model names', async () => {
  await withPair({ env: { FLOWGPT_ANONYMOUS: '1', FLOWGPT_BEARER_TOKEN: undefined } }, async (up, gw) => {
    const ids = (await getJson(gw.url, '/v1/models')).body.data.map((m) => m.id);
    assert.ok(ids.includes('flowgpt-anonymous/claude-v2'), ids.join(' '));
    assert.ok(ids.includes('flowgpt-anonymous/gpt-3.5-turbo'));
    const r = await chat(gw.url, { model: 'flowgpt-anonymous/claude-v2', messages: [{ role: 'system', content: 'terse' }, ...user('hi')] });
    assert.equal(r.status, 200, r.body);
    // The synthetic greeting leads the history; the system text rides along.
    assert.equal(answerOf(r), 'echo: hi | context: 3 messages [system,assistant,user] | system: terse | temperature: 0.70 | form: anonymous | model: claude-v2');
    const [call] = await ofType(up, 'chat_anonymous');
    assert.equal(call.promptId, 'model-claude-v2');
    // A configured prompt model runs anonymously on the first anonymous model.
    const prompt = await chat(gw.url, { messages: user('hey'), stream: true });
    assert.equal(prompt.status, 200, prompt.body);
    assert.match(prompt.body, /model: gpt-3\.5-turbo/);
    assert.equal((await ofType(up, 'conversation_created')).length, 0);
    assert.equal((await ofType(up, 'auth_rejected')).length, 0);
  });
  // With tokens too: anonymous models take none, so the anonymous endpoint's limits never rest them.
  await withPair({ env: { FLOWGPT_ANONYMOUS: '1' } }, async (up, gw) => {
    for (let i = 0; i < 3; i++) {
      const r = await chat(gw.url, { model: 'flowgpt-anonymous/gpt-4-turbo', messages: user('[scenario:429] slow down') });
      assert.equal(r.status, 429, r.body);
    }
    const tokens = JSON.parse((await rawRequest(gw.url, { method: 'GET', path: '/admin/credentials' })).body).data
      .filter((c) => c.provider === 'flowgpt');
    assert.deepEqual(tokens.map((c) => c.state), ['healthy']);
    assert.equal((await ofType(up, 'chat_anonymous')).length, 3, 'one attempt each, no rotation');
    const logged = await chat(gw.url, { messages: user('with the token') });
    assert.equal(logged.status, 200, logged.body);
    assert.doesNotMatch(answerOf(logged), /form: anonymous/);
  });
  // The anonymous endpoint gone: a 502 that says so, not a credential error.
  await withPair({ emulatorArgs: ['--flowgpt-forms', 'conversation,history'], env: { FLOWGPT_ANONYMOUS: '1', FLOWGPT_BEARER_TOKEN: undefined } },
    async (up, gw) => {
      const r = await chat(gw.url, { model: 'flowgpt-anonymous/claude-v2', messages: user('hi') });
      assert.equal(r.status, 502, r.body);
      assert.match(JSON.parse(r.body).error.message, /anonymous chat failed with HTTP 404/);
    });
  // Without the switch, no token still means "not configured".
  await withPair({ env: { FLOWGPT_BEARER_TOKEN: undefined } }, async (up, gw) => {
    const r = await chat(gw.url, { messages: user('hi') });
    assert.equal(r.status, 503, r.body);
    assert.match(JSON.parse(r.body).error.message, /FLOWGPT_ANONYMOUS/);
  });
});

// ---- AIPKit: any site, its bots found on its chat pages ----------------------------------------

/// Waits until `check(models)` holds for the gateway's model list (discovery runs beside start-up).
async function modelsWhen(gw, check, what, ms = 8000) {
  const deadline = Date.now() + ms;
  let models;
  while (Date.now() < deadline) {
    models = (await getJson(gw.url, '/v1/models')).body.data;
    if (check(models)) return models;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.fail(`${what}: ${JSON.stringify(models.map((m) => m.id))}`);
}
const ids = (models) => models.map((m) => m.id);
const byId = (models, id) => models.find((m) => m.id === id);
const setPage = (up, page) => fetch(`${up.url}/_emulator/settings`, { method: 'POST', body: JSON.stringify({ aipkit_page: page }) });

/// Two AIPKit sites on two emulators: chatgptfree (the default site) and "siteb".
async function withTwoSites({ siteB = [], config = {}, ttlMs } = {}, body) {
  const a = await startEmulator();
  const b = await startEmulator(['--aipkit-page', 'site-b', ...siteB]);
  const providers = { chatgptfree: { pages: chatPages },
    aipkit: { sites: [{ name: 'siteb', base_url: b.url }], ...(ttlMs ? { discovery_ttl_ms: ttlMs } : {}) } };
  const gw = await startGateway({ emulator: a, env: { CHATGPTFREE_BASE_URL: a.url }, config: { providers, ...config } });
  try {
    await body(a, b, gw);
  } finally {
    await gw.stop();
    await a.stop().catch(() => {});
    await b.stop().catch(() => {});
  }
}

test('two AIPKit sites: the bots on their chat pages are models <site>/<model>, with what each can do', async () => {
  await withTwoSites({}, async (a, b, gw) => {
    const models = await modelsWhen(gw, (m) => byId(m, 'siteb/claude-3-haiku') && byId(m, 'chatgptfree/gemini-2.5-flash'), 'both sites read');
    const found = ids(models).filter((id) => id.includes('/'));
    assert.deepEqual(found.sort(), ['chatgptfree/gemini-2.5-flash', 'chatgptfree/gpt-4o-mini', 'chatgptfree/gpt-5-nano',
      'siteb/claude-3-haiku', 'siteb/gpt-4o-mini']);
    const mini = byId(models, 'chatgptfree/gpt-4o-mini');
    assert.equal(mini.owned_by, 'chatgptfree');
    assert.equal(mini.title, 'gpt-4o-mini');
    assert.equal(mini.description, 'OpenAI bot (25865) on chatgptfree.ai, with web search');
    assert.equal(mini.capabilities.web_search, true);
    assert.equal(byId(models, 'siteb/gpt-4o-mini').capabilities.web_search, false);
    assert.equal(byId(models, 'siteb/gpt-4o-mini').owned_by, 'siteb');
    // The configured models of the default site are still there, as configured.
    assert.equal(byId(models, 'gpt-4o-mini').owned_by, 'chatgptfree');

    const r = await chat(gw.url, { model: 'siteb/claude-3-haiku', messages: user('hello b') });
    assert.equal(r.status, 200, r.body);
    assert.match(answerOf(r), /bot 502 \| .*you said: hello b/);
    const bStreams = await ofType(b, 'aipkit_stream');
    assert.deepEqual(bStreams.map((e) => e.bot), ['502']);
    assert.equal((await ofType(b, 'aipkit_nonce_issued')).length, 0, "the page's nonce was used; none was fetched");
    assert.equal((await ofType(a, 'aipkit_stream')).length, 0);
    const card = await getJson(gw.url, '/v1/models/siteb/claude-3-haiku');
    assert.equal(card.status, 200);
    assert.equal(card.body.description, 'Claude bot (502) on siteb');
    const none = await chat(gw.url, { model: 'siteb/gemini-2.5-flash', messages: user('hi') });
    assert.equal(none.status, 404, none.body);
    assert.equal(JSON.parse(none.body).error.code, 'model_not_found');
  });
});

test('a configured model id wins over a bot found under the same id', async () => {
  const models = JSON.parse(readFileSync(join(repoRoot, 'config/switchyard.json'), 'utf8')).models;
  models.push({ id: 'chatgptfree/gpt-5-nano', provider: 'chatgptfree', upstream_id: '25875' });
  await withTwoSites({ config: { models } }, async (a, b, gw) => {
    await modelsWhen(gw, (m) => byId(m, 'chatgptfree/gemini-2.5-flash'), 'site read');
    const r = await chat(gw.url, { model: 'chatgptfree/gpt-5-nano', messages: user('who') });
    assert.equal(r.status, 200, r.body);
    assert.match(answerOf(r), /bot 25875/);
    const listed = (await getJson(gw.url, '/v1/models')).body.data.filter((m) => m.id === 'chatgptfree/gpt-5-nano');
    assert.equal(listed.length, 1);
    assert.equal(listed[0].title, undefined, 'the configured one is listed');
  });
});

test('a changed chat page is picked up on the next read; an unreadable one keeps the last good list and shows in health', async () => {
  await withTwoSites({ ttlMs: 1000 }, async (a, b, gw) => {
    await modelsWhen(gw, (m) => byId(m, 'chatgptfree/gemini-2.5-flash'), 'first read');
    await setPage(a, 'changed');
    const changed = await modelsWhen(gw, (m) => byId(m, 'chatgptfree/deepseek-chat') && !byId(m, 'chatgptfree/gemini-2.5-flash'),
      'the changed page');
    assert.equal(byId(changed, 'chatgptfree/deepseek-chat').description, 'DeepSeek bot (30001) on chatgptfree.ai');
    const r = await chat(gw.url, { model: 'chatgptfree/deepseek-chat', messages: user('new bot') });
    assert.equal(r.status, 200, r.body);
    assert.match(answerOf(r), /bot 30001/);

    // Cloudflare steps in: the list read before stays, and the route says why.
    await setPage(a, 'cloudflare');
    const blocked = await modelsWhen(gw, (m) => byId(m, 'gpt-4o-mini').health.routes[0].note, 'a note in health');
    assert.match(byId(blocked, 'gpt-4o-mini').health.routes[0].note, /chat pages failed \(\/chat\/ answered HTTP 403\); 3 bot\(s\)/);
    assert.ok(byId(blocked, 'chatgptfree/deepseek-chat'), 'the last good list stays');
    assert.equal((await chat(gw.url, { model: 'chatgptfree/deepseek-chat', messages: user('still') })).status, 200);
    // The markup changes: no containers is a failed read too, not an empty site.
    await setPage(a, 'no-bots');
    await modelsWhen(gw, (m) => /no AIPKit bot/.test(byId(m, 'gpt-4o-mini').health.routes[0].note ?? ''), 'no-bots noted');
    assert.ok(byId((await getJson(gw.url, '/v1/models')).body.data, 'chatgptfree/deepseek-chat'));
    // Readable again: the note goes.
    await setPage(a, 'default');
    await modelsWhen(gw, (m) => byId(m, 'chatgptfree/gemini-2.5-flash') && !byId(m, 'gpt-4o-mini').health.routes[0].note, 'recovered');
  });
});

test('a site unreadable from the start never breaks start-up; its configured models still answer', async () => {
  const up = await startEmulator(['--aipkit-page', 'cloudflare']);
  const gw = await startGateway({ emulator: up, config: { providers: { chatgptfree: { pages: chatPages } } } });
  try {
    const models = await modelsWhen(gw, (m) => byId(m, 'gpt-5-nano').health.routes[0].note, 'the failed read noted');
    assert.equal(ids(models).filter((id) => id.startsWith('chatgptfree/')).length, 0);
    assert.match(byId(models, 'gpt-5-nano').health.routes[0].note, /HTTP 403/);
    const r = await chat(gw.url, { model: 'gpt-5-nano', messages: user('configured') });
    assert.equal(r.status, 200, r.body);
    assert.match(answerOf(r), /bot 25871/);
  } finally {
    await gw.stop();
    await up.stop();
  }
});

test('a model routed to site A, then site B: with A down, B answers', async () => {
  const models = JSON.parse(readFileSync(join(repoRoot, 'config/switchyard.json'), 'utf8')).models;
  models.push({ id: 'mini-anywhere', routes: [{ provider: 'chatgptfree', upstream_id: '25865' }, { provider: 'siteb', upstream_id: '501' }] });
  await withTwoSites({ config: { models } }, async (a, b, gw) => {
    const first = await chat(gw.url, { model: 'mini-anywhere', messages: user('one') });
    assert.match(answerOf(first), /bot 25865/);
    await a.stop();
    const r = await chat(gw.url, { model: 'mini-anywhere', messages: user('two') });
    assert.equal(r.status, 200, r.body);
    assert.match(answerOf(r), /bot 501 \| .*you said: two/);
    // Site B's own models are unaffected; site A's fail as a site that is down does.
    assert.equal((await chat(gw.url, { model: 'siteb/claude-3-haiku', messages: user('b') })).status, 200);
    const down = await chat(gw.url, { model: 'gpt-4o-mini', messages: user('a') });
    assert.equal(down.status, 502, down.body);
    assert.match(JSON.parse(down.body).error.message, /Could not reach chatgptfree\.ai/);
  });
});

test('AIPKit sites are checked at start-up: a clash with the default site or another is refused by name', async () => {
  const dir = scratchDir('switchyard-sites-');
  for (const [sites, message] of [
    [[{ name: 'chatgptfree', base_url: 'http://127.0.0.1:9' }], /chatgptfree is configured under providers\.chatgptfree/],
    [[{ name: 'b', base_url: 'http://127.0.0.1:9' }, { name: 'b', base_url: 'http://127.0.0.1:10' }], /a second site named 'b'/],
    [[{ name: 'Site B!', base_url: 'http://127.0.0.1:9' }], /lowercase letters/],
    [[{ name: 'b' }], /needs a name and a base_url/],
  ]) {
    const file = join(dir, 'c.json');
    writeFileSync(file, JSON.stringify({ providers: { aipkit: { sites } } }));
    const r = await runGateway(['--listen', '127.0.0.1:0', '--config', file]);
    assert.notEqual(r.code, 0, r.out);
    assert.match(r.out, message);
  }
});
