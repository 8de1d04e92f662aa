// The compose cluster profile for real: redis, two gateway containers and nginx in front, started
// by scripts/test-container.sh, which passes where each is. The gateways' own ports are published
// for this test only, so that it can choose the instance a request lands on.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execSync } from 'node:child_process';
import { rawRequest, parseSse, sleep } from '../e2e/harness.mjs';

const { CLUSTER_URL, GATEWAY_1_URL, GATEWAY_2_URL, SWITCHYARD_API_KEY, ADMIN_KEY, KILL_GATEWAY_1 } = process.env;
const auth = (key = SWITCHYARD_API_KEY) => ({ authorization: `Bearer ${key}` });
const chat = (url, body, key) => rawRequest(url, { body: { model: 'gpt-4-free', ...body }, headers: auth(key) });
const user = (content) => [{ role: 'user', content }];
const answerOf = (r) => JSON.parse(r.body).choices[0].message.content;

test('the cluster profile acts as one gateway', async () => {
  const g1 = GATEWAY_1_URL, g2 = GATEWAY_2_URL;
  const conv = JSON.parse((await rawRequest(CLUSTER_URL, { path: '/v1/conversations', body: {}, headers: auth() })).body);
  assert.match(conv.id, /^conv_/);

  // Turns alternate between the instances, and through nginx.
  for (const [i, url] of [g1, g2, CLUSTER_URL, g1].entries()) {
    const r = await chat(url, { messages: user(`turn ${i}`), conversation_id: conv.id });
    assert.equal(r.status, 200, r.body);
    assert.match(answerOf(r), new RegExp(`^echo: turn ${i}`));
  }

  // A turn in progress on one instance: the other answers 409.
  const slow = chat(g1, { stream: true, messages: user('[scenario:slow] a b c d e f'), conversation_id: conv.id });
  await sleep(500);
  const busy = await chat(g2, { messages: user('me too'), conversation_id: conv.id });
  assert.equal(busy.status, 409, busy.body);
  assert.equal(parseSse((await slow).body).events.at(-1), '[DONE]');

  // team-a may make two requests a minute, wherever they land.
  assert.equal((await chat(g1, { messages: user('one') }, 'sk-team-a')).status, 200);
  assert.equal((await chat(g2, { messages: user('two') }, 'sk-team-a')).status, 200);
  const third = await chat(CLUSTER_URL, { messages: user('three') }, 'sk-team-a');
  assert.equal(third.status, 429, third.body);

  // The upstream rate-limits the only key on instance 1: instance 2 rests it too.
  assert.equal((await chat(g1, { model: 'emu-small', messages: user('[scenario:429]') })).status, 429);
  let state;
  for (let i = 0; i < 40 && state !== 'cooling'; i++) {
    await sleep(100);
    const list = await rawRequest(g2, { method: 'GET', path: '/admin/credentials', headers: auth(ADMIN_KEY) });
    state = JSON.parse(list.body).data.find((c) => c.id === 'openai:0').state;
  }
  assert.equal(state, 'cooling');

  // Instance 1 is killed mid-conversation: the next turn through nginx continues on instance 2.
  execSync(KILL_GATEWAY_1, { stdio: 'inherit' });
  const next = await chat(CLUSTER_URL, { messages: user('after the crash'), conversation_id: conv.id });
  assert.equal(next.status, 200, next.body);
  const items = JSON.parse((await rawRequest(CLUSTER_URL, { method: 'GET', path: `/v1/conversations/${conv.id}/items?limit=100`, headers: auth() })).body).data;
  assert.equal(items.length, 12); // five turns before the crash, one after: user and assistant each
});
