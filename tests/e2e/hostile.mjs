// A hostile upstream for fault-injection tests. It speaks just enough of three upstream
// protocols (OpenAI chat completions, FlowGPT, AIPKit admin-ajax.php) over raw sockets so that
// each request can be answered with a chosen fault: a marker `[fault:NAME]` anywhere in the
// request body (or the stored AIPKit message) picks it, `options.fault` is the default.
// Everything it does is logged with timestamps (`log`) so tests can assert release times.
// It binds 127.0.0.1 only; every stream it writes is bounded in bytes and time.
import net from 'node:net';
import tls from 'node:tls';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const MB = 1024 * 1024;
export const VALID_NONCE = '0a1b2c3d4e';
export const HTML_MARKER = 'HOSTILE-CHALLENGE-7f3a';
export const SECRET_MARKER = 'HOSTILE-UPSTREAM-SECRET-91c2';

/// A throwaway self-signed certificate for 127.0.0.1, made with the openssl CLI.
export function makeCert() {
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-hostile-'));
  process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  const [key, cert] = [join(dir, 'key.pem'), join(dir, 'cert.pem')];
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1',
    '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', key, '-out', cert], { stdio: 'ignore' });
  return { keyFile: key, certFile: cert, key: readFileSync(key), cert: readFileSync(cert) };
}

const HEAD_END = '\r\n\r\n';

function head(status, headers) {
  const reason = { 100: 'Continue', 200: 'OK', 401: 'Unauthorized', 403: 'Forbidden', 429: 'Too Many Requests', 503: 'Service Unavailable' }[status] || 'Status';
  return `HTTP/1.1 ${status} ${reason}\r\n${Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join('')}\r\n`;
}

function formField(body, name) {
  const multipart = body.match(new RegExp(`name="${name}"\\r\\n\\r\\n([^\\r]*)`));
  if (multipart) return multipart[1];
  try { return new URLSearchParams(body).get(name) ?? undefined; } catch { return undefined; }
}

const sseChunk = (delta, finish = null) =>
  `data: ${JSON.stringify({ id: 'chatcmpl-hostile', object: 'chat.completion.chunk', created: 1, model: 'hostile', choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
const completion = (content) =>
  JSON.stringify({ id: 'chatcmpl-hostile', object: 'chat.completion', created: 1, model: 'hostile',
    choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }], usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 } });

class Exchange {
  constructor(server, conn, sock, req) {
    Object.assign(this, { server, conn, sock, req });
  }

  get alive() { return !this.sock.destroyed; }

  /// Waits `ms`, or less if the socket goes away first (then resolves false).
  pause(ms) {
    return new Promise((r) => {
      if (!this.alive) return r(false);
      const t = setTimeout(() => { this.sock.off('close', onClose); r(this.alive); }, ms);
      const onClose = () => { clearTimeout(t); r(false); };
      this.sock.once('close', onClose);
    });
  }

  write(data) { if (this.alive) this.sock.write(data); }

  /// A complete response with a content-length; the connection stays open for the next request.
  reply(status, headers, body) {
    const bytes = Buffer.isBuffer(body) ? body : Buffer.from(body);
    this.write(head(status, { 'Content-Length': bytes.length, Connection: 'keep-alive', ...headers }));
    this.write(bytes);
  }

  json(status, value, headers = {}) { this.reply(status, { 'Content-Type': 'application/json', ...headers }, typeof value === 'string' ? value : JSON.stringify(value)); }

  startChunked(type = 'text/event-stream') { this.write(head(200, { 'Content-Type': type, 'Transfer-Encoding': 'chunked', Connection: 'keep-alive' })); }

  chunk(data) { const b = Buffer.from(data); if (b.length) this.write(`${b.length.toString(16)}\r\n`); this.write(b); this.write('\r\n'); }

  endChunked() { this.write('0\r\n\r\n'); }

  /// Writes `piece()` repeatedly, honouring back-pressure, until `maxBytes` or `maxMs` or the peer
  /// goes away. Resolves with the number of bytes written.
  async flood(piece, { maxBytes = 160 * MB, maxMs = 8000 } = {}) {
    const until = Date.now() + maxMs;
    let sent = 0;
    while (this.alive && sent < maxBytes && Date.now() < until) {
      const b = piece();
      sent += b.length;
      if (!this.sock.write(b)) {
        const drained = await new Promise((r) => {
          const done = (ok) => { clearTimeout(t); this.sock.off('drain', onDrain); this.sock.off('close', onClose); r(ok); };
          const [onDrain, onClose] = [() => done(true), () => done(false)];
          const t = setTimeout(onDrain, Math.max(1, until - Date.now()));
          this.sock.once('drain', onDrain);
          this.sock.once('close', onClose);
        });
        if (!drained) break;
      }
    }
    this.server.record({ type: 'flood_end', conn: this.conn, sent, alive: this.alive });
    return sent;
  }

  reset() { this.sock.resetAndDestroy(); }
}

const answerOf = (text) => `echo: ${text}`;

/// Faults shared by the protocols; each returns true when it has handled the exchange.
const commonFaults = {
  'reset-before-headers': (x) => { x.reset(); return true; },
  silence: async (x) => { await x.pause(10000); x.sock.destroy(); return true; },
  'nonjson': (x) => { x.reply(200, { 'Content-Type': 'application/json' }, `this is not json ${SECRET_MARKER}`); return true; },
  html: (x) => {
    x.reply(503, { 'Content-Type': 'text/html; charset=UTF-8' },
      `<!DOCTYPE html><html><head><title>Just a moment...</title></head><body>${HTML_MARKER} Checking your browser</body></html>`);
    return true;
  },
  '5xx': (x) => { x.json(503, { error: { message: `overloaded ${SECRET_MARKER}` } }); return true; },
  '429': (x) => { x.json(429, { error: { message: `slow down ${SECRET_MARKER}` } }, { 'Retry-After': '7' }); return true; },
  '401': (x) => { x.json(401, { error: { message: `bad key ${SECRET_MARKER}` } }); return true; },
  'endless-chunk': async (x) => {
    x.write(head(200, { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' }));
    const f = Buffer.alloc(64 * 1024, 'f');
    await x.flood(() => f);
    x.sock.destroy();
    return true;
  },
  // A chunk-size line that never ends, trickled in: refused once it outgrows any real one.
  'long-chunk-line': async (x) => {
    x.write(head(200, { 'Content-Type': 'text/event-stream', 'Transfer-Encoding': 'chunked' }));
    x.write('5;ext=');
    for (let i = 0; i < 40 && (await x.pause(2)); i++) x.write('x'.repeat(1024));
    await x.pause(3000);
    x.sock.destroy();
    return true;
  },
  'oversized-body': async (x) => {
    x.write(head(200, { 'Content-Type': 'application/json', 'Content-Length': String(1024 * MB) }));
    x.write('{"choices":[{"index":0,"message":{"role":"assistant","content":"');
    const a = Buffer.alloc(64 * 1024, 'a');
    await x.flood(() => a);
    x.sock.destroy();
    return true;
  },
  'oversized-line': async (x) => {
    x.write(head(200, { 'Content-Type': 'text/event-stream', Connection: 'close' }));
    x.write('data: {"choices":[{"index":0,"delta":{"content":"');
    const a = Buffer.alloc(64 * 1024, 'a');
    await x.flood(() => a);
    x.sock.destroy();
    return true;
  },
};

function openaiWords(text) { return answerOf(text).split(/(?<= )/); }

/// A well-formed stream of `count` chunks ("<word>0 ", "<word>1 ", …), `ms` apart.
async function paced(x, count, ms, word) {
  x.startChunked();
  for (let i = 0; i < count && (await x.pause(i ? ms : 0)); i++) x.chunk(sseChunk({ content: `${word}${i} ` }));
  x.chunk(sseChunk({}, 'stop'));
  x.chunk('data: [DONE]\n\n');
  x.endChunked();
  return true;
}

const openaiFaults = {
  ...commonFaults,
  ok: (x, { text, stream }) => {
    if (!stream) { x.json(200, completion(answerOf(text))); return true; }
    x.startChunked();
    x.chunk(sseChunk({ role: 'assistant', content: '' }));
    for (const w of openaiWords(text)) x.chunk(sseChunk({ content: w }));
    x.chunk(sseChunk({}, 'stop'));
    x.chunk('data: [DONE]\n\n');
    x.endChunked();
    return true;
  },
  delay: async (x, ctx) => (await x.pause(200)) && openaiFaults.ok(x, ctx),
  // An upgrade nobody asked for, then bytes of another protocol on the same connection.
  switch101: (x) => { x.write(head(101, { Upgrade: 'h2c', Connection: 'Upgrade' })); x.write(`PRI * HTTP/2.0 ${SECRET_MARKER}\r\n`); return true; },
  continue100: (x, ctx) => { x.write(head(100, {})); return openaiFaults.ok(x, ctx); },
  badutf8: (x, { stream }) => {
    const bad = Buffer.from([0x58, 0xff, 0x59]); // "X", an invalid byte, "Y"
    const raw = (s) => Buffer.from(s, 'latin1');
    if (!stream) {
      x.reply(200, { 'Content-Type': 'application/json' }, Buffer.concat([raw(completion('before MID after').split('MID')[0]), bad, raw(completion('before MID after').split('MID')[1])]));
      return true;
    }
    x.startChunked();
    x.chunk(sseChunk({ content: 'before ' }));
    const [pre, post] = sseChunk({ content: 'MID' }).split('MID');
    x.chunk(Buffer.concat([raw(pre), bad, raw(post)]));
    x.chunk(sseChunk({ content: ' after' }));
    x.chunk(sseChunk({}, 'stop'));
    x.chunk('data: [DONE]\n\n');
    x.endChunked();
    return true;
  },
  bytewise: async (x, { text, stream }) => {
    const body = Buffer.from(stream
      ? [sseChunk({ content: 'héllo 🎉 wörld ' }), sseChunk({ content: answerOf(text) }), sseChunk({}, 'stop'), 'data: [DONE]\n\n'].join('')
      : completion(`héllo 🎉 wörld ${answerOf(text)}`));
    x.write(head(200, { 'Content-Type': stream ? 'text/event-stream' : 'application/json', 'Content-Length': body.length, Connection: 'keep-alive' }));
    for (const byte of body) { if (!(await x.pause(1))) break; x.write(Buffer.from([byte])); }
    return true;
  },
  'reset-mid': async (x, { stream }) => {
    if (!stream) { x.write(head(200, { 'Content-Type': 'application/json', 'Content-Length': '4000' })); x.write('{"choices":[{"index":0,"message":{"content":"partial'); }
    else { x.startChunked(); x.chunk(sseChunk({ content: 'partial ' })); x.chunk(sseChunk({ content: 'answer ' })); }
    await x.pause(100);
    x.reset();
    return true;
  },
  'stall-mid': async (x) => {
    x.startChunked();
    x.chunk(sseChunk({ content: 'partial ' }));
    await x.pause(10000);
    x.sock.destroy();
    return true;
  },
  slow: (x) => paced(x, 16, 500, 'tick'),
  // A steady stream: a chunk every 20 ms for 2 s.
  ticks: (x) => paced(x, 100, 20, 't'),
  flood: async (x) => {
    x.startChunked();
    const piece = Buffer.from(sseChunk({ content: 'z'.repeat(16 * 1024) }));
    const framed = Buffer.concat([Buffer.from(`${piece.length.toString(16)}\r\n`), piece, Buffer.from('\r\n')]);
    await x.flood(() => framed, { maxBytes: 256 * MB, maxMs: 8000 });
    x.sock.destroy();
    return true;
  },
};

function flowgptPieces(text) {
  const answer = answerOf(text);
  return [answer.slice(0, 200), answer.slice(200)].filter(Boolean).map((p) => `${JSON.stringify({ event: 'text', data: p })}\n`);
}

const flowgptFaults = {
  ...commonFaults,
  ok: async (x, { text }) => {
    x.write(head(200, { 'Content-Type': 'application/json', Connection: 'close' }));
    for (const line of flowgptPieces(text)) { x.write(line); await x.pause(20); }
    x.sock.end();
    return true;
  },
  // The body is close-delimited; a TLS cut without close_notify is a truncation, not an end.
  'tls-cut': async (x, { text }) => {
    x.write(head(200, { 'Content-Type': 'application/json', Connection: 'close' }));
    x.write(flowgptPieces(text)[0]);
    await x.pause(400);
    x.sock.destroy();
    return true;
  },
};

const PREAMBLE = `:${' '.repeat(4096)}\n\n`;

export async function startHostile(options = {}) {
  const log = [];
  const sockets = new Set();
  const cache = new Map();
  let nextConn = 0;
  let nextKey = 0;
  const server = { options, log, record: (e) => log.push({ at: Date.now(), ...e }) };

  async function route(x, { method, path, body }) {
    const u = new URL(path, 'http://h');
    const marker = (s) => (s.match(/\[fault:([a-z0-9-]+)\]/) || [])[1];
    if (method === 'POST' && u.pathname.endsWith('/chat/completions')) {
      let req;
      try { req = JSON.parse(body); } catch { return x.json(400, { error: { message: 'bad json' } }); }
      const text = [...(req.messages || [])].reverse().find((m) => m.role === 'user')?.content ?? '';
      const fault = marker(body) || options.fault || 'ok';
      server.record({ type: 'request', conn: x.conn, proto: 'openai', fault, text, stream: !!req.stream });
      return (openaiFaults[fault] || openaiFaults.ok)(x, { text: String(text), stream: !!req.stream });
    }
    if (method === 'POST' && u.pathname === '/conversation/create') {
      server.record({ type: 'request', conn: x.conn, proto: 'flowgpt-create' });
      return x.json(200, { id: `hostile-conv-${nextKey++}` });
    }
    if (method === 'POST' && u.pathname.startsWith('/v3/chat')) {
      const req = JSON.parse(body);
      const fault = marker(body) || options.fault || 'ok';
      server.record({ type: 'request', conn: x.conn, proto: 'flowgpt', fault, text: req.question });
      return (flowgptFaults[fault] || flowgptFaults.ok)(x, { text: String(req.question) });
    }
    if (u.pathname === '/wp-admin/admin-ajax.php') return aipkit(x, method, u, body);
    return x.json(404, { error: 'no route' });
  }

  async function aipkit(x, method, u, body) {
    const action = u.searchParams.get('action') || formField(body, 'action');
    server.record({ type: 'request', conn: x.conn, proto: 'aipkit', action });
    if (action === 'aipkit_get_frontend_chat_nonce') {
      await x.pause(100); // lets concurrent callers overlap
      return x.json(200, options.nonceReply ?? { success: true, data: { nonce: VALID_NONCE } });
    }
    if (action === 'aipkit_cache_sse_message') {
      if (formField(body, '_ajax_nonce') !== VALID_NONCE) {
        return x.json(403, { success: false, data: { code: 'nonce_failure_cache_sse', message: 'Your session has expired.' } });
      }
      const key = `aipkit_sse_hostile${nextKey++}`;
      cache.set(key, formField(body, 'message') ?? '');
      return x.json(200, { success: true, data: { cache_key: key } });
    }
    if (action === 'aipkit_frontend_chat_stream') {
      const message = cache.get(u.searchParams.get('cache_key'));
      const events = message === undefined || u.searchParams.get('_ajax_nonce') !== VALID_NONCE
        ? `event: error\nid: err-1\ndata: {"error":"Message not found in cache."}\n\n`
        : `event: message_start\ndata: {"message_id":"aipkit-msg-1"}\n\ndata: ${JSON.stringify({ delta: answerOf(message) })}\n\n`;
      x.write(head(200, { 'Content-Type': 'text/event-stream; charset=utf-8', Connection: 'close' }));
      x.write(`${PREAMBLE}${events}event: done\ndata: {"finished":true}\n\n`);
      x.sock.end();
      return;
    }
    return x.reply(400, { 'Content-Type': 'text/html; charset=UTF-8' }, '0');
  }

  function onConnection(sock) {
    const conn = nextConn++;
    sockets.add(sock);
    server.record({ type: 'open', conn });
    sock.on('error', () => {});
    let idleTimer;
    const armIdle = () => {
      clearTimeout(idleTimer);
      if (options.idleCloseMs) idleTimer = setTimeout(() => { server.record({ type: 'idle_close', conn }); sock.end(); }, options.idleCloseMs);
    };
    sock.on('close', () => { clearTimeout(idleTimer); sockets.delete(sock); server.record({ type: 'close', conn }); });
    armIdle();
    let buf = Buffer.alloc(0);
    let busy = false;
    const pump = async () => {
      if (busy) return;
      busy = true;
      for (;;) {
        const req = takeRequest();
        if (!req) break;
        clearTimeout(idleTimer);
        await route(new Exchange(server, conn, sock, req), req);
        armIdle();
      }
      busy = false;
    };
    const takeRequest = () => {
      const end = buf.indexOf(HEAD_END);
      if (end < 0 || buf.length > 8 * MB) return undefined;
      const lines = buf.subarray(0, end).toString('latin1').split('\r\n');
      const [method, path] = lines[0].split(' ');
      const headers = Object.fromEntries(lines.slice(1).map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]));
      let rest = buf.subarray(end + 4);
      let body;
      if (/chunked/i.test(headers['transfer-encoding'] || '')) {
        const parts = [];
        for (;;) {
          const nl = rest.indexOf('\r\n');
          if (nl < 0) return undefined;
          const size = parseInt(rest.subarray(0, nl).toString(), 16);
          if (rest.length < nl + 2 + size + 2) return undefined;
          parts.push(rest.subarray(nl + 2, nl + 2 + size));
          rest = rest.subarray(nl + 2 + size + 2);
          if (size === 0) break;
        }
        body = Buffer.concat(parts);
      } else {
        const len = Number(headers['content-length'] || 0);
        if (rest.length < len) return undefined;
        body = rest.subarray(0, len);
        rest = rest.subarray(len);
      }
      buf = rest;
      return { method, path, headers, body: body.toString('utf8') };
    };
    sock.on('data', (d) => { buf = Buffer.concat([buf, d]); pump(); });
  }

  const listen = (srv) => new Promise((r) => srv.listen(0, '127.0.0.1', () => r(srv.address().port)));
  const plain = net.createServer(onConnection);
  const port = await listen(plain);
  let secure;
  let tlsPort;
  let certFile;
  if (options.tls) {
    const cert = makeCert();
    certFile = cert.certFile;
    secure = tls.createServer({ key: cert.key, cert: cert.cert }, onConnection);
    tlsPort = await listen(secure);
  }
  return Object.assign(server, {
    url: `http://127.0.0.1:${port}`,
    tlsUrl: tlsPort && `https://127.0.0.1:${tlsPort}`,
    certFile,
    /// The connection that carried the first logged request whose text includes `tag`.
    connOf: (tag) => log.find((e) => e.type === 'request' && String(e.text ?? '').includes(tag))?.conn,
    closedAt: (conn) => log.find((e) => e.type === 'close' && e.conn === conn)?.at,
    count: (pred) => log.filter(pred).length,
    /// Polls the log until `pred` finds an entry, for at most `ms`.
    async waitFor(pred, ms = 3000) {
      const until = Date.now() + ms;
      for (;;) {
        const hit = log.find(pred);
        if (hit || Date.now() > until) return hit;
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    stop: async () => {
      for (const s of sockets) s.destroy();
      await Promise.all([plain, secure].filter(Boolean).map((s) => new Promise((r) => s.close(() => r()))));
    },
  });
}

/// A loopback port with nothing listening on it (for connection-refused tests).
export async function closedPort() {
  const srv = net.createServer();
  const port = await new Promise((r) => srv.listen(0, '127.0.0.1', () => r(srv.address().port)));
  await new Promise((r) => srv.close(r));
  return port;
}
