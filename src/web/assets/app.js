// switchyard's dashboard and chat page. Plain DOM, no framework, no request to anywhere but this
// gateway. Text from the API (model output, reasons, names) only ever goes in as textContent.
'use strict';

const keys = {
  get api() { return sessionStorage.getItem('switchyard.apiKey') ?? ''; },
  get admin() { return sessionStorage.getItem('switchyard.adminKey') ?? ''; },
  set(api, admin) { sessionStorage.setItem('switchyard.apiKey', api); sessionStorage.setItem('switchyard.adminKey', admin); },
  clear() { sessionStorage.removeItem('switchyard.apiKey'); sessionStorage.removeItem('switchyard.adminKey'); },
  get signedIn() { return sessionStorage.getItem('switchyard.apiKey') !== null; },
};

const $ = (id) => document.getElementById(id);

/// An element with text and attributes; children may be elements or strings.
function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'className') e.className = v; else e.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children) e.append(c instanceof Node ? c : document.createTextNode(String(c ?? '')));
  return e;
}

class ApiError extends Error {
  constructor(status, message) { super(message); this.status = status; }
}

/// A JSON call to the gateway. Operator routes carry the admin key (none: this machine decides).
async function api(path, { method = 'GET', body, operator = false } = {}) {
  const headers = {};
  const key = operator ? keys.admin : keys.api;
  if (key) headers.authorization = `Bearer ${key}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  let doc = null;
  try { doc = text ? JSON.parse(text) : null; } catch { /* not JSON */ }
  if (!res.ok) throw new ApiError(res.status, doc?.error?.message ?? `HTTP ${res.status}`);
  return doc;
}

const when = (unixSeconds) => (unixSeconds ? new Date(unixSeconds * 1000).toLocaleString() : '–');
const number = (n) => (n ?? 0).toLocaleString();
const badge = (state) => el('span', { className: `state state-${state}` }, state);

function fill(table, rows, empty) {
  const body = table.tBodies[0];
  body.replaceChildren(...(rows.length ? rows : [el('tr', {}, el('td', { className: 'empty', colspan: table.tHead.rows[0].cells.length }, empty))]));
}

// ---- views ---------------------------------------------------------------------------------

let refreshTimer = null;
let operatorRefused = false; // once the operator routes said no, they are not asked again until the next sign-in

function show(view) {
  const signedIn = keys.signedIn;
  $('sign-in').hidden = signedIn;
  $('sign-out').hidden = !signedIn;
  $('signed-in').textContent = signedIn ? (keys.admin ? 'signed in, with the admin key' : 'signed in') : '';
  for (const id of ['overview', 'chat']) $(id).hidden = !signedIn || id !== view;
  for (const b of document.querySelectorAll('nav button')) b.classList.toggle('active', signedIn && b.dataset.view === view);
  clearInterval(refreshTimer);
  refreshTimer = null;
  if (!signedIn) return;
  location.hash = view;
  if (view === 'overview') {
    refreshOverview();
    refreshTimer = setInterval(refreshOverview, 5000);
  } else {
    openChat();
  }
}

async function signIn(event) {
  event.preventDefault();
  const api_ = $('api-key').value.trim(), admin = $('admin-key').value.trim();
  keys.set(api_, admin);
  operatorRefused = false;
  try {
    await api('/v1/models');
  } catch (e) {
    keys.clear();
    $('sign-in-error').textContent = e.status === 401 ? 'That API key is not accepted.' : e.message;
    return;
  }
  $('sign-in-error').textContent = '';
  show(location.hash === '#chat' ? 'chat' : 'overview');
}

// ---- overview ------------------------------------------------------------------------------

async function refreshOverview() {
  const [models, operator] = await Promise.allSettled([refreshModels(), refreshOperatorViews()]);
  for (const r of [models, operator])
    if (r.status === 'rejected' && !(r.reason instanceof ApiError)) throw r.reason;
}

async function refreshModels() {
  const list = (await api('/v1/models')).data;
  fill($('models'), list.map((m) => el('tr', {},
    el('td', {}, m.id),
    el('td', {}, badge(m.health?.status ?? 'up'), ` ${m.health?.routes_up ?? 1}/${m.health?.routes?.length ?? 1}`),
    el('td', {}, (m.health?.routes ?? [{ provider: m.owned_by, up: true }]).map((r) => `${r.provider}${r.up ? '' : ' (down)'}`).join(' → ')),
    el('td', {}, m.capabilities?.tools ?? '–'),
    el('td', {}, m.capabilities?.images ? 'yes' : 'no'),
    el('td', {}, m.capabilities?.web_search ? 'yes' : 'no'),
    el('td', {}, m.capabilities?.reasoning ?? '–'))), 'No models.');
}

async function refreshOperatorViews() {
  let status;
  try {
    if (operatorRefused) throw new ApiError(401, 'not the operator');
    status = await api('/admin/status', { operator: true });
  } catch (e) {
    if (e.status === 401 || e.status === 403) operatorRefused = true;
    $('operator-note').hidden = false;
    $('operator-views').hidden = true;
    $('open-streams').textContent = '–';
    throw e;
  }
  $('operator-note').hidden = true;
  $('operator-views').hidden = false;
  $('open-streams').textContent = status.open_streams ?? '–';
  const day = Math.floor(Date.now() / 1000) - 23 * 3600;
  const [byHour, byKey, credentials, errors] = await Promise.all([
    api(`/admin/usage?group_by=hour,key,model&from=${day}`, { operator: true }),
    api(`/admin/usage?group_by=key,model&from=${day}`, { operator: true }),
    api('/admin/credentials', { operator: true }),
    api('/admin/errors', { operator: true }),
  ]);
  $('requests-total').textContent = number(byHour.total.requests);
  $('errors-total').textContent = number(byHour.total.errors);
  $('tokens-total').textContent = number(byHour.total.prompt_tokens + byHour.total.completion_tokens);
  drawUsage(byHour.data, day);
  fill($('usage-table'), byKey.data.map((r) => el('tr', {},
    el('td', {}, r.key ?? '(auth off)'), el('td', {}, r.model), el('td', {}, number(r.requests)), el('td', {}, number(r.errors)),
    el('td', {}, number(r.prompt_tokens)), el('td', {}, number(r.completion_tokens)), el('td', {}, number(r.estimated_tokens)),
    el('td', {}, number(r.streamed_bytes)))), 'No requests in the last 24 hours.');
  fill($('credentials'), credentials.data.map((c) => el('tr', { 'data-credential': c.id, 'data-state': c.state },
    el('td', {}, `${c.provider} ${c.credential}`),
    el('td', {}, badge(c.state)),
    el('td', {}, c.reason ?? ''),
    el('td', {}, c.cooling_until ? when(c.cooling_until) : ''),
    el('td', {}, number(c.requests)), el('td', {}, number(c.failures)), el('td', {}, c.in_flight),
    el('td', {}, when(c.last_used)),
    el('td', {}, actionButton('Probe', c.id, 'probe'), ' ', actionButton('Reset', c.id, 'reset')))), 'No upstream credentials.');
  fill($('errors'), errors.data.map((e) => el('tr', {},
    el('td', {}, when(e.at)), el('td', {}, e.status || 'none'), el('td', {}, e.route), el('td', {}, e.model ?? ''),
    el('td', {}, e.provider ?? ''), el('td', {}, e.reason ?? ''), el('td', {}, e.request_id))), 'No errors lately.');
}

function actionButton(label, id, action) {
  const b = el('button', { type: 'button' }, label);
  b.addEventListener('click', async () => {
    b.disabled = true;
    try { await api(`/admin/credentials/${id}/${action}`, { method: 'POST', operator: true }); } catch { /* the table shows the state */ }
    await refreshOperatorViews().catch(() => {});
  });
  return b;
}

/// Requests per hour for the last 24 hours, one bar per hour stacked by key and model (each its own
/// colour, named in the legend), with the hour's errors marked in red at the foot.
function drawUsage(rows, firstHourSeconds) {
  const svg = $('usage-chart');
  const ns = 'http://www.w3.org/2000/svg';
  const node = (tag, attrs, text) => {
    const n = document.createElementNS(ns, tag);
    for (const [k, v] of Object.entries(attrs)) n.setAttribute(k, v);
    if (text !== undefined) n.textContent = text;
    return n;
  };
  const palette = ['#2457c5', '#1f7a3f', '#a86400', '#7b3fb3', '#0f7f86', '#c2410c', '#4d5b6b', '#9f1d6b'];
  const series = [...new Set(rows.map((r) => `${r.key ?? '(auth off)'} · ${r.model}`))].sort();
  const colour = (name) => palette[series.indexOf(name) % palette.length];
  const start = firstHourSeconds - (firstHourSeconds % 3600);
  const hours = Array.from({ length: 24 }, (_, i) => start + i * 3600);
  const perHour = new Map(hours.map((h) => [h, []]));
  for (const r of rows) perHour.get(Date.parse(r.hour) / 1000)?.push(r);
  const totals = hours.map((h) => perHour.get(h).reduce((n, r) => n + r.requests, 0));
  const most = Math.max(1, ...totals);
  const width = 720 / 24, height = 150, scale = (n) => (n / most) * (height - 10);
  const parts = [];
  hours.forEach((h, i) => {
    const x = i * width + 3, w = width - 6;
    const label = new Date(h * 1000).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
    const group = node('g', { class: 'hour', 'data-hour': new Date(h * 1000).toISOString(), 'data-requests': totals[i] });
    let top = height, errors = 0;
    for (const r of perHour.get(h)) {
      const name = `${r.key ?? '(auth off)'} · ${r.model}`;
      const segment = node('rect', { class: 'bar', x, y: top - scale(r.requests), width: w, height: scale(r.requests), fill: colour(name) });
      segment.append(node('title', {}, `${label}, ${name}: ${r.requests} requests, ${r.errors} errors`));
      group.append(segment);
      top -= scale(r.requests);
      errors += r.errors;
    }
    if (errors) group.append(node('rect', { class: 'bar errors', x, y: height - scale(errors), width: w, height: scale(errors) }));
    parts.push(group);
    if (i % 3 === 0) parts.push(node('text', { x, y: 170 }, new Date(h * 1000).toLocaleTimeString([], { hour: '2-digit' })));
  });
  svg.replaceChildren(...parts);
  $('usage-legend').replaceChildren(...series.map((name) => el('span', { className: 'legend-item', 'data-series': name },
    el('span', { className: `swatch swatch-${series.indexOf(name) % palette.length}` }), name)));
}

// ---- chat ----------------------------------------------------------------------------------

const saved = {
  list() { try { return JSON.parse(localStorage.getItem('switchyard.conversations') ?? '[]'); } catch { return []; } },
  put(list) { localStorage.setItem('switchyard.conversations', JSON.stringify(list.slice(0, 100))); },
};
let current = null; // the open conversation's id
let attachedImage = null; // a data: URL

async function openChat() {
  const select = $('model');
  if (!select.options.length) {
    try {
      const list = (await api('/v1/models')).data;
      select.replaceChildren(...list.map((m) => el('option', { value: m.id }, m.id)));
    } catch (e) {
      $('chat-error').textContent = e.message;
    }
  }
  listConversations();
}

function listConversations() {
  $('conversations').replaceChildren(...saved.list().map((c) => {
    const li = el('li', { className: c.id === current ? 'active' : '', title: c.id, 'data-conversation': c.id }, c.title || 'New chat');
    li.addEventListener('click', () => resume(c.id));
    return li;
  }));
}

function bubble(role, text, { image, reasoning } = {}) {
  const b = el('div', { className: `message ${role}` });
  if (reasoning) b.append(el('details', {}, el('summary', {}, 'Reasoning'), reasoning));
  b.append(el('span', { className: 'text' }, text));
  if (image) b.append(el('img', { src: image, alt: 'attached image' }));
  $('messages').append(b);
  b.scrollIntoView({ block: 'end' });
  return b;
}

async function resume(id) {
  current = id;
  listConversations();
  $('messages').replaceChildren();
  $('chat-error').textContent = '';
  const entry = saved.list().find((c) => c.id === id);
  if (entry?.model) $('model').value = entry.model;
  try {
    // The latest 100 items, shown oldest first.
    const items = await api(`/v1/conversations/${encodeURIComponent(id)}/items?order=desc&limit=100`);
    for (const item of items.data.reverse()) {
      if (item.type !== 'message') continue;
      const text = (item.content ?? []).map((p) => p.text ?? '').join('');
      const image = (item.content ?? []).find((p) => p.type === 'input_image')?.image_url;
      bubble(item.role === 'user' ? 'user' : 'assistant', text, { image });
    }
  } catch (e) {
    $('chat-error').textContent = e.status === 404 ? 'That conversation is gone.' : e.message;
    if (e.status === 404) { saved.put(saved.list().filter((c) => c.id !== id)); current = null; listConversations(); }
  }
}

async function newChat() {
  current = null;
  $('messages').replaceChildren();
  $('chat-error').textContent = '';
  listConversations();
}

/// Reads an OpenAI chat completions stream: calls `onChunk` with each JSON chunk until [DONE].
async function readStream(res, onChunk) {
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += decoder.decode(value, { stream: true });
    let cut;
    while ((cut = buffer.indexOf('\n\n')) >= 0) {
      const event = buffer.slice(0, cut);
      buffer = buffer.slice(cut + 2);
      for (const line of event.split('\n')) {
        if (!line.startsWith('data:')) continue;
        const data = line.slice(5).trim();
        if (data === '[DONE]') return;
        onChunk(JSON.parse(data));
      }
    }
  }
}

async function send(event) {
  event.preventDefault();
  const prompt = $('prompt').value.trim();
  if (!prompt && !attachedImage) return;
  $('chat-error').textContent = '';
  const model = $('model').value;
  $('send').disabled = true;
  try {
    if (!current) {
      const title = Array.from(prompt).slice(0, 40).join(''); // whole characters, never half an emoji
      const created = await api('/v1/conversations', { method: 'POST', body: { metadata: { title } } });
      current = created.id;
      saved.put([{ id: current, title: title || 'Image', model }, ...saved.list()]);
      listConversations();
    }
    const content = attachedImage
      ? [{ type: 'text', text: prompt }, { type: 'image_url', image_url: { url: attachedImage } }]
      : prompt;
    bubble('user', prompt, { image: attachedImage });
    $('prompt').value = '';
    clearImage();
    const answer = bubble('assistant', '');
    const text = answer.querySelector('.text');
    let reasoning = null;
    const headers = { 'content-type': 'application/json' };
    if (keys.api) headers.authorization = `Bearer ${keys.api}`;
    const body = { model, stream: true, conversation_id: current, messages: [{ role: 'user', content }] };
    if ($('web-search').checked) body.web_search = true;
    const res = await fetch('/v1/chat/completions', { method: 'POST', headers, body: JSON.stringify(body) });
    if (!res.ok) {
      const doc = await res.json().catch(() => null);
      throw new ApiError(res.status, doc?.error?.message ?? `HTTP ${res.status}`);
    }
    await readStream(res, (chunk) => {
      if (chunk.error) throw new ApiError(0, chunk.error.message);
      const delta = chunk.choices?.[0]?.delta ?? {};
      if (delta.reasoning_content) {
        if (!reasoning) { reasoning = el('details', {}, el('summary', {}, 'Reasoning'), ''); answer.prepend(reasoning); }
        reasoning.append(delta.reasoning_content);
      }
      if (delta.content) text.append(delta.content);
    });
    answer.dataset.done = 'true';
  } catch (e) {
    bubble('error', e.message);
  } finally {
    $('send').disabled = false;
  }
}

function clearImage() {
  attachedImage = null;
  $('image').value = '';
  $('attached').textContent = '';
}

function attach() {
  const file = $('image').files[0];
  if (!file) return clearImage();
  if (file.size > 8 * 1024 * 1024) { clearImage(); $('chat-error').textContent = 'Images up to 8 MB.'; return; }
  const reader = new FileReader();
  reader.onload = () => { attachedImage = reader.result; $('attached').textContent = file.name; };
  reader.readAsDataURL(file);
}

// ---- wiring --------------------------------------------------------------------------------

document.addEventListener('DOMContentLoaded', () => {
  $('sign-in-form').addEventListener('submit', signIn);
  $('sign-out').addEventListener('click', () => { keys.clear(); show('overview'); });
  for (const b of document.querySelectorAll('nav button')) b.addEventListener('click', () => show(b.dataset.view));
  $('new-chat').addEventListener('click', newChat);
  $('composer').addEventListener('submit', send);
  $('image').addEventListener('change', attach);
  $('prompt').addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && !e.shiftKey) { e.preventDefault(); $('composer').requestSubmit(); }
  });
  show(location.hash === '#chat' ? 'chat' : 'overview');
});
