// Codex CLI (`@openai/codex`, pinned in package.json) run as a user runs it, `codex exec`, with a
// custom model provider at switchyard's /v1/responses and the emulator behind it. It must finish
// a task that needs a tool call (a shell command) and reach nothing outside the machine: every
// proxy variable points at the emulator, which records any request it is asked to forward.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { API_KEY, emulatorAndGateway, runClient } from '../e2e/harness.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const codex = join(here, 'node_modules', '.bin', 'codex');
const web = emulatorAndGateway();

function config(baseUrl) {
  return `model = "default"
model_provider = "switchyard"

[model_providers.switchyard]
name = "switchyard"
base_url = "${baseUrl}/v1"
env_key = "SWITCHYARD_API_KEY"
wire_api = "responses"

[analytics]
enabled = false

[features]
plugins = false
`;
}

/// Runs `codex exec prompt` in `cwd`; resolves with its exit code and output.
function runCodex(prompt, cwd, home) {
  const env = {
    PATH: process.env.PATH, HOME: home, CODEX_HOME: home, SWITCHYARD_API_KEY: API_KEY,
    HTTPS_PROXY: web.emulator.url, HTTP_PROXY: web.emulator.url, NO_PROXY: '127.0.0.1,localhost',
  };
  // The sandbox is not under test, and bubblewrap needs namespaces that CI machines may not allow.
  const args = ['exec', '--skip-git-repo-check', '--dangerously-bypass-approvals-and-sandbox', prompt];
  return runClient(codex, args, { cwd, env });
}

test('codex exec runs a shell command through switchyard\'s Responses API and reports its output', { timeout: 150_000 }, async () => {
  const work = mkdtempSync(join(tmpdir(), 'switchyard-codex-work-'));
  const home = mkdtempSync(join(tmpdir(), 'switchyard-codex-home-'));
  try {
    writeFileSync(join(work, 'notes.txt'), 'line one\nline two is the answer\nline three\n');
    writeFileSync(join(home, 'config.toml'), config(web.gateway.url));
    const before = (await web.emulator.events()).length;
    // The emulator's model calls the tool the markers name, with the command given (tool_answers.hpp).
    const run = await runCodex('What does line 2 of notes.txt say? [call:exec_command] [arg:cmd=sed -n 2p notes.txt]', work, home);
    assert.equal(run.code, 0, run.out);
    assert.match(run.out, /Tool said: [^]*line two is the answer/);
    const events = (await web.emulator.events()).slice(before);
    const chats = events.filter((e) => e.type === 'chat');
    assert.ok(chats.some((e) => /<tool_response name="exec_command"/.test(e.question)), 'the command\'s output came back');
    assert.equal(events.filter((e) => e.type === 'conversation_created').length, 1,
      'the second request, the whole input again, continued the first one\'s upstream conversation');
    assert.deepEqual(events.filter((e) => e.type === 'tunnel' || e.type === 'proxied'), [], 'nothing left the machine');
  } finally {
    rmSync(work, { recursive: true, force: true });
    rmSync(home, { recursive: true, force: true });
  }
});
