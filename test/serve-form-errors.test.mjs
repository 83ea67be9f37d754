// Client errors in the multipart form are 400s with OpenAI's error body, never 500s (issue 17,
// item 12): no boundary, a wrong, empty or overlong boundary, a form cut short, a part with no
// name; and a field over the 64 KiB limit is refused naming it, not cut silently.
import t from 'tap';
import fs from 'node:fs';
import http from 'node:http';
import { fixture, words, JFK_WORDS } from './helpers.mjs';
import { startServe } from './servers.mjs';

/** A raw POST (each on its own connection unless `agent` keeps one alive); `timeoutMs` for the answer. */
function post(url, { headers, body, agent = false, timeoutMs = 120_000 }) {
  const u = new URL(`${url}/v1/audio/transcriptions`);
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const req = http.request({ host: u.hostname, port: u.port, path: u.pathname, method: 'POST', headers, agent }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString();
        let json;
        try { json = JSON.parse(text); } catch {}
        resolve({ status: res.statusCode, text, json, socket: req.socket, ms: Date.now() - started });
      });
    });
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', (e) => resolve({ status: `error: ${e.message}`, text: '' }));
    req.end(body);
  });
}

/** A multipart body of `parts` ({ headers: 'Content-Disposition: ...', body }) with `boundary`. */
function multipart(boundary, parts, { end = true } = {}) {
  const chunks = [];
  for (const p of parts) chunks.push(Buffer.from(`--${boundary}\r\n${p.headers}\r\n\r\n`), Buffer.isBuffer(p.body) ? p.body : Buffer.from(p.body), Buffer.from('\r\n'));
  if (end) chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return Buffer.concat(chunks);
}

const audio = fs.readFileSync(fixture('jfk.flac'));
const fileName = (name = 'file') => ({ headers: `Content-Disposition: form-data; name="${name}"; filename="jfk.flac"\r\nContent-Type: audio/flac`, body: audio });
const field = (name, value) => ({ headers: `Content-Disposition: form-data; name="${name}"`, body: value });

function isOpenAIError(t, r, what) {
  t.same(Object.keys(r.json?.error ?? {}).sort(), ['code', 'message', 'param', 'type'], `${what}: OpenAI's error body (${r.text.slice(0, 200)})`);
  t.equal(r.json?.error?.type, 'invalid_request_error', `${what}: invalid_request_error`);
}

const { url } = await startServe(t, ['--model', 'tiny.en']);

t.test('boundaries: missing, wrong, empty, overlong; a form cut short', async (t) => {
  const good = multipart('XyZ', [field('model', 'whisper-1'), fileName()]);
  const cases = {
    'no boundary': { 'content-type': 'multipart/form-data' },
    'a wrong boundary': { 'content-type': 'multipart/form-data; boundary=Other' },
    'an empty boundary': { 'content-type': 'multipart/form-data; boundary=' },
    'a boundary of 300 characters': { 'content-type': `multipart/form-data; boundary=${'b'.repeat(300)}` },
  };
  for (const [what, headers] of Object.entries(cases)) {
    const r = await post(url, { headers, body: good });
    t.equal(r.status, 400, `${what}: 400`);
    isOpenAIError(t, r, what);
  }
  const cut = multipart('XyZ', [field('model', 'whisper-1'), fileName()], { end: false }).subarray(0, 5000);
  const r = await post(url, { headers: { 'content-type': 'multipart/form-data; boundary=XyZ' }, body: cut });
  t.equal(r.status, 400, 'a form cut short: 400');
  isOpenAIError(t, r, 'cut short');
  const ok = await post(url, { headers: { 'content-type': 'multipart/form-data; boundary=XyZ' }, body: good });
  t.equal(ok.status, 200, 'the same form with its boundary: 200');
  t.equal(words(ok.json.text), JFK_WORDS);
});

t.test('parts with no name', async (t) => {
  const noNameFile = { headers: 'Content-Disposition: form-data; filename="jfk.flac"\r\nContent-Type: audio/flac', body: audio };
  const noNameField = { headers: 'Content-Disposition: form-data', body: 'whisper-1' };
  const noDisposition = { headers: 'Content-Type: text/plain', body: 'hello' };
  for (const [what, parts] of [['a file part with no name', [field('model', 'whisper-1'), noNameFile]], ['a field with no name', [noNameField, fileName()]]]) {
    const r = await post(url, { headers: { 'content-type': 'multipart/form-data; boundary=XyZ' }, body: multipart('XyZ', parts) });
    t.equal(r.status, 400, `${what}: 400`);
    isOpenAIError(t, r, what);
    t.notMatch(r.text, /Cannot read properties/, `${what}: no TypeError text`);
  }
  // A part with no Content-Disposition is no field at all: the parser skips it.
  const skipped = await post(url, { headers: { 'content-type': 'multipart/form-data; boundary=XyZ' }, body: multipart('XyZ', [field('model', 'whisper-1'), noDisposition, fileName()]) });
  t.equal(skipped.status, 200, 'a part with no Content-Disposition: skipped');
});

t.test('after an early refusal, the same keep-alive connection serves the next request', async (t) => {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  t.teardown(() => agent.destroy());
  const early = await post(url, { agent, headers: { 'content-type': 'multipart/form-data; boundary=XyZ' }, body: multipart('XyZ', [field('model', 'whisper-1'), field('prompt', 'a'.repeat(1 << 20)), fileName()]) });
  t.equal(early.status, 400, 'refused before the file was read');
  const next = await post(url, { agent, headers: { 'content-type': 'multipart/form-data; boundary=XyZ' }, body: multipart('XyZ', [field('model', 'whisper-1'), fileName()]), timeoutMs: 60_000 });
  t.equal(next.status, 200, `then answered on the same connection (${next.ms} ms)`);
  t.equal(early.socket, next.socket, 'the same socket');
});

t.test('a field over 64 KiB is refused, naming it', async (t) => {
  for (const [name, size] of [['prompt', 1024 * 1024], ['prompt', 64 * 1024 + 1], ['hotwords', 100_000], ['language', 70_000]]) {
    const r = await post(url, { headers: { 'content-type': 'multipart/form-data; boundary=XyZ' }, body: multipart('XyZ', [field('model', 'whisper-1'), field(name, 'a'.repeat(size)), fileName()]) });
    t.equal(r.status, 400, `${name} of ${size} bytes: 400`);
    isOpenAIError(t, r, name);
    t.equal(r.json?.error?.param, name, `param names ${name}`);
    t.match(r.json?.error?.message, /65536 bytes/, 'the message says the limit');
  }
  const fits = await post(url, { headers: { 'content-type': 'multipart/form-data; boundary=XyZ' }, body: multipart('XyZ', [field('model', 'whisper-1'), field('prompt', 'So, my fellow Americans. '.repeat(100)), fileName()]) });
  t.equal(fits.status, 200, 'a prompt within the limit: 200');
  const bigName = await post(url, { headers: { 'content-type': 'multipart/form-data; boundary=XyZ' }, body: multipart('XyZ', [field('model', 'whisper-1'), field('x'.repeat(500), 'v'), fileName()]) });
  t.equal(bigName.status, 400, 'a long field name: 400, as an unknown field');
  t.equal(bigName.json?.error?.code, 'unknown_parameter');
});
