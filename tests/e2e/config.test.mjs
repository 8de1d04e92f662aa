// Start-up configuration: bad values refuse to start (exit code 2, naming the variable or key),
// a .env with a byte order mark keeps its first variable, duplicate model ids do not stop a start.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { API_KEY, runGateway, startEmulator, startGateway, rawRequest, scratchDir } from './harness.mjs';

const scratch = scratchDir('switchyard-config-');
const emptyEnv = join(scratch, 'empty.env');
writeFileSync(emptyEnv, '');
let files = 0;

/// Runs the gateway on a loopback port with `config` as its whole config file.
function run(config = {}, env = {}, args = []) {
  const file = join(scratch, `config-${files++}.json`);
  writeFileSync(file, typeof config === 'string' ? config : JSON.stringify(config));
  return runGateway(['--listen', '127.0.0.1:0', '--config', file, '--env-file', emptyEnv, ...args], { LOG_LEVEL: 'warn', ...env });
}

async function refused(result, pattern) {
  const { code, out } = await result;
  assert.equal(code, 2, out);
  assert.match(out, pattern);
}

test('REQUEST_TIMEOUT must be a finite, positive number of seconds', async () => {
  for (const value of ['nan', 'inf', '-1', '0', 'soon', '1e9']) {
    await refused(run({}, { REQUEST_TIMEOUT: value }), /REQUEST_TIMEOUT: expected a number of seconds/);
  }
  await refused(run({}, { API_REQUEST_TIMEOUT: 'NaN' }), /API_REQUEST_TIMEOUT/);
});

test('an unknown LOG_LEVEL refuses to start instead of turning logging off', async () => {
  await refused(run({}, { LOG_LEVEL: 'verbose' }), /LOG_LEVEL: expected one of trace, debug, info/);
  await refused(run({}, {}, ['--log-level', 'loud']), /--log-level/);
});

test('unknown or mistyped config keys are refused, naming the closest known key', async () => {
  await refused(run({ server: { idle_timeout: 5000 } }), /server\.idle_timeout: unknown key \(did you mean server\.idle_timeout_ms\?\)/);
  await refused(run({ upstream: { pool_idle_timeout: 100 } }), /did you mean upstream\.pool_idle_timeout_ms\?/);
  await refused(run({ providers: { openai: [{ base_url: 'http://127.0.0.1:9/v1', modles: '*' }] } }), /providers\.openai\[0\]\.modles: unknown key/);
  await refused(run('{"server": {'), /config file/);
});

test('wrong JSON types and out-of-range values name their key', async () => {
  await refused(run({ server: { idle_timeout_ms: '5000' } }), /server\.idle_timeout_ms: expected an integer/);
  await refused(run({ server: { idle_timeout_ms: -1 } }), /server\.idle_timeout_ms/);
  await refused(run({ upstream: { tls_verify: 'false' } }), /upstream\.tls_verify: expected true or false/);
  await refused(run({ conversations: { idle_ttl_s: 0 } }), /conversations\.idle_ttl_s/);
  await refused(run({ server: { threads: 257 } }), /server\.threads: expected an integer from 1 to 256/);
  await refused(run({}, {}, ['--threads', '300']), /--threads: expected an integer from 1 to 256/);
  await refused(run({}, { SWITCHYARD_TLS_VERIFY: 'nope' }), /SWITCHYARD_TLS_VERIFY/);
});

test('--help is generated from the option table', async () => {
  const { code, out } = await runGateway(['--help']);
  assert.equal(code, 0);
  for (const name of ['--threads N', '$REQUEST_TIMEOUT', 'upstream.pool_idle_timeout_ms', '$NO_PROXY', 'server.cors_origins']) {
    assert.ok(out.includes(name), name);
  }
});

test('a UTF-8 byte order mark does not drop the first .env variable (API_MASTER_KEY)', async () => {
  const gw = await startGateway({ env: { API_MASTER_KEY: undefined }, dotenv: `\uFEFFAPI_MASTER_KEY=${API_KEY}\nLOG_LEVEL=warn\n` });
  try {
    const anonymous = await rawRequest(gw.url, { method: 'GET', path: '/v1/models', headers: { authorization: '' } });
    assert.equal(anonymous.status, 401, 'auth must be on');
    const keyed = await rawRequest(gw.url, { method: 'GET', path: '/v1/models', headers: { authorization: `Bearer ${API_KEY}` } });
    assert.equal(keyed.status, 200);
  } finally {
    await gw.stop();
  }
});

test('duplicate model ids keep the first binding and the gateway starts', async () => {
  const emulator = await startEmulator(['--openai-keys', 'sk-up-1']);
  try {
    // A whole file of our own: startGateway merges config sections as objects, not lists.
    const file = join(scratch, 'duplicates.json');
    writeFileSync(file, JSON.stringify({
      models: [{ id: 'emu-small', provider: 'flowgpt', upstream_id: 'x' }],
      providers: {
        openai: [
          { name: 'first', base_url: `${emulator.url}/v1`, api_keys: ['sk-up-1'], models: '*' },
          { name: 'second', base_url: `${emulator.url}/v1`, api_keys: ['sk-up-1'], models: ['emu-large', 'emu-large', 'emu-extra'] },
        ],
      },
      conversations: { store: 'memory' },
    }));
    const gw = await startGateway({ args: ['--config', file] });
    try {
      const r = await rawRequest(gw.url, { method: 'GET', path: '/v1/models', headers: { authorization: `Bearer ${API_KEY}` } });
      const list = JSON.parse(r.body).data;
      assert.deepEqual(list.map((m) => [m.id, m.owned_by]), [['emu-small', 'flowgpt'], ['emu-large', 'first'], ['emu-extra', 'second']]);
      assert.match(gw.proc.logs, /model 'emu-small' from first is already bound to flowgpt/);
    } finally {
      await gw.stop();
    }
  } finally {
    await emulator.stop();
  }
});
