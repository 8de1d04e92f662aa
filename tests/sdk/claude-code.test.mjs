// Claude Code (`@anthropic-ai/claude-code`, pinned in package.json) run as a user runs it,
// `claude -p`, with ANTHROPIC_BASE_URL at switchyard and the emulator behind it. It must finish a
// task that needs a tool call (reading a file) and reach nothing outside the machine: every
// proxy variable points at the emulator, which records any request it is asked to forward.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { API_KEY, emulatorAndGateway, runClient } from '../e2e/harness.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const claude = join(here, 'node_modules', '.bin', 'claude');
const web = emulatorAndGateway();

/// Runs `claude -p prompt` in `cwd`; resolves with its exit code and output.
function runClaude(prompt, cwd, home) {
  const env = {
    PATH: process.env.PATH, HOME: home,
    ANTHROPIC_BASE_URL: web.gateway.url, ANTHROPIC_API_KEY: API_KEY,
    ANTHROPIC_MODEL: 'default', ANTHROPIC_SMALL_FAST_MODEL: 'default', ANTHROPIC_DEFAULT_HAIKU_MODEL: 'default',
    CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1', DISABLE_AUTOUPDATER: '1', DISABLE_TELEMETRY: '1',
    DISABLE_ERROR_REPORTING: '1',
    HTTPS_PROXY: web.emulator.url, HTTP_PROXY: web.emulator.url, NO_PROXY: '127.0.0.1,localhost',
  };
  return runClient(claude, ['-p', prompt], { cwd, env });
}

test('claude -p reads a file with its Read tool through switchyard and reports a line from it', { timeout: 150_000 }, async () => {
  const work = mkdtempSync(join(tmpdir(), 'switchyard-claude-work-'));
  const home = mkdtempSync(join(tmpdir(), 'switchyard-claude-home-'));
  try {
    writeFileSync(join(work, 'notes.txt'), 'line one\nline two is the answer\nline three\n');
    // A fresh metrics-status cache: otherwise Claude Code asks api.anthropic.com whether the
    // organization allows metrics when it exits, whatever the variables say.
    writeFileSync(join(home, '.claude.json'),
      JSON.stringify({ hasCompletedOnboarding: true, metricsStatusCache: { enabled: false, timestamp: Date.now() } }));
    const before = (await web.emulator.events()).length;
    // The emulator's model calls the tool the markers name, with the path given (tool_answers.hpp).
    const run = await runClaude(`What does line 2 of notes.txt say? [call:Read] [arg:file_path=${join(work, 'notes.txt')}]`,
      work, home);
    assert.equal(run.code, 0, run.out);
    assert.match(run.out, /line two is the answer/);
    const events = (await web.emulator.events()).slice(before);
    const chats = events.filter((e) => e.type === 'chat');
    assert.ok(chats.some((e) => /<tool_response name="Read"/.test(e.question)), 'the file came back as a tool result');
    assert.deepEqual(events.filter((e) => e.type === 'tunnel' || e.type === 'proxied'), [], 'nothing left the machine');
  } finally {
    rmSync(work, { recursive: true, force: true });
    rmSync(home, { recursive: true, force: true });
  }
});
