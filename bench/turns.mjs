// Conversation turns as fast as they come: `workers` loops, each creating a conversation and
// taking `turns` non-streamed turns in it, then a new one, for `seconds`. Prints one JSON line:
// turns done, per-turn latency percentiles (ms) and failures.
//   node bench/turns.mjs URL KEY [seconds=6] [workers=8] [turns=5]
import http from 'node:http';

const [url, key, seconds = '6', workers = '8', turnsPer = '5'] = process.argv.slice(2);
const agent = new http.Agent({ keepAlive: true, maxSockets: Number(workers) });
const target = new URL(url);

function post(path, body) {
  return new Promise((resolve, reject) => {
    const data = JSON.stringify(body);
    const req = http.request({ host: target.hostname, port: target.port, path, method: 'POST', agent,
      headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data), authorization: `Bearer ${key}` } },
    (res) => { let b = ''; res.on('data', (c) => { b += c; }); res.on('end', () => resolve({ status: res.statusCode, body: b })); });
    req.on('error', reject);
    req.end(data);
  });
}

const end = Date.now() + Number(seconds) * 1000;
const latencies = [];
let failures = 0;
async function worker() {
  while (Date.now() < end) {
    const conv = await post('/v1/conversations', {});
    if (conv.status !== 200) { failures++; continue; }
    const { id } = JSON.parse(conv.body);
    for (let i = 0; i < Number(turnsPer) && Date.now() < end; i++) {
      const t0 = process.hrtime.bigint();
      const r = await post('/v1/chat/completions', { model: 'gpt-4-free', conversation_id: id, messages: [{ role: 'user', content: `bench turn ${i}` }] });
      if (r.status !== 200) { failures++; continue; }
      latencies.push(Number(process.hrtime.bigint() - t0) / 1e6);
    }
  }
}
await Promise.all(Array.from({ length: Number(workers) }, worker));
latencies.sort((a, b) => a - b);
const at = (q) => latencies.length ? latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] : 0;
console.log(JSON.stringify({ turns: latencies.length, p50_ms: at(0.5), p99_ms: at(0.99), failures }));
agent.destroy();
