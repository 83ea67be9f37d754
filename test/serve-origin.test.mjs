// A server with no API key answers only loopback Host names (and --allowed-hosts), and no
// cross-origin browser request (issue 17, item 3): DNS rebinding and blind cross-site POSTs, with
// raw HTTP requests and with a real browser (Debian's Chromium through playwright-core). The page
// at `/` keeps working from its own origin; a key makes the checks unneeded.
import t from 'tap';
import fs from 'node:fs';
import http from 'node:http';
import { chromium } from 'playwright-core';
import { fixture, words, runCli, JFK_WORDS } from './helpers.mjs';
import { startServe } from './servers.mjs';

const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';

/** A raw request with the headers given as they are (fetch does not let Host be set). */
function request(url, { method = 'GET', headers = {}, body } = {}) {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const req = http.request({ host: u.hostname, port: u.port, path: u.pathname, method, headers }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString();
        let json;
        try { json = JSON.parse(text); } catch {}
        resolve({ status: res.statusCode, text, json });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** A multipart body holding jfk.flac, with its content type. */
async function jfkForm() {
  const form = new FormData();
  form.append('model', 'whisper-1');
  form.append('file', new Blob([fs.readFileSync(fixture('jfk.flac'))]), 'jfk.flac');
  const r = new Response(form);
  return { body: Buffer.from(await r.arrayBuffer()), type: r.headers.get('content-type') };
}

const requests = async (url) => (await (await fetch(`${url}/health`)).json()).scheduler.requests;

t.test('no key: Host and Origin checks, raw HTTP', async (t) => {
  const { url } = await startServe(t, ['--model', 'tiny.en']);
  const port = new URL(url).port;
  const form = await jfkForm();
  const post = (headers) => request(`${url}/v1/audio/transcriptions`, { method: 'POST', headers: { 'content-type': form.type, ...headers }, body: form.body });

  for (const host of ['evil.example', `evil.example:${port}`, `localhost.evil.example:${port}`, `127.0.0.1.nip.io:${port}`, `attacker:${port}`]) {
    for (const route of ['/', '/health', '/v1/models']) {
      const r = await request(`${url}${route}`, { headers: { host } });
      t.equal(r.status, 403, `Host ${host} ${route}: 403`);
    }
    const r = await post({ host });
    t.equal(r.status, 403, `Host ${host} POST: 403`);
    t.same(Object.keys(r.json?.error ?? {}).sort(), ['code', 'message', 'param', 'type'], 'OpenAI\'s error body');
    t.equal(r.json?.error?.code, 'host_not_allowed');
    t.match(r.json?.error?.message, /--allowed-hosts/, 'says how to allow it');
  }
  for (const host of [`localhost:${port}`, `127.0.0.1:${port}`, `[::1]:${port}`, 'localhost', `LOCALHOST:${port}`]) {
    t.equal((await request(`${url}/health`, { headers: { host } })).status, 200, `Host ${host}: answered`);
  }
  const before = await requests(url);
  for (const origin of ['http://evil.example', `http://evil.example:${port}`, 'null', `http://localhost:${Number(port) + 1}`, `https://127.0.0.1:${Number(port) + 1}`, 'file://', 'not a url']) {
    const r = await post({ origin });
    t.equal(r.status, 403, `Origin ${origin} POST: 403`);
    t.equal(r.json?.error?.code, 'cross_origin_not_allowed', `Origin ${origin}: ${r.json?.error?.message}`);
    t.equal((await request(`${url}/v1/models`, { headers: { origin } })).status, 403, `Origin ${origin} GET /v1/models: 403`);
  }
  t.equal(await requests(url), before, 'none of them was transcribed');
  const same = await post({ origin: url });
  t.equal(same.status, 200, 'its own origin (the page): answered');
  t.equal(words(same.json.text), JFK_WORDS);
  const plain = await post({});
  t.equal(plain.status, 200, 'no Origin (curl, the SDKs): answered');
});

t.test('--allowed-hosts and CT2_WHISPER_ALLOWED_HOSTS', async (t) => {
  const { url } = await startServe(t, ['--model', 'tiny.en', '--allowed-hosts', 'transcriber.lan, app.example:8443']);
  const port = new URL(url).port;
  t.equal((await request(`${url}/health`, { headers: { host: `transcriber.lan:${port}` } })).status, 200, 'an allowed name, any port');
  t.equal((await request(`${url}/health`, { headers: { host: 'app.example:8443' } })).status, 200, 'an allowed name:port');
  t.equal((await request(`${url}/health`, { headers: { host: 'app.example:8444' } })).status, 403, 'not on another port');
  t.equal((await request(`${url}/v1/models`, { headers: { origin: 'https://app.example:8443' } })).status, 200, 'an allowed origin');
  t.equal((await request(`${url}/v1/models`, { headers: { origin: 'https://evil.example' } })).status, 403, 'others still not');
  t.equal((await request(`${url}/health`, { headers: { host: 'evil.example' } })).status, 403, 'other Hosts still not');

  const env = await startServe(t, ['--model', 'tiny.en'], { CT2_WHISPER_ALLOWED_HOSTS: 'transcriber.lan' });
  t.equal((await request(`${env.url}/health`, { headers: { host: 'transcriber.lan' } })).status, 200, 'from the environment');
  t.equal((await request(`${env.url}/health`, { headers: { host: 'evil.example' } })).status, 403);

  const bad = await runCli(['serve', '--model', 'tiny.en', '--port', '0', '--allowed-hosts', 'http://x/y']);
  t.not(bad.status, 0, 'a bad entry is refused');
  t.match(bad.stderr, /--allowed-hosts .*"http:\/\/x\/y" is not a host name/);
});

t.test('the address it listens on, with its port', async (t) => {
  // 127.0.0.2: an address that is not one of the loopback names.
  const { url } = await startServe(t, ['--model', 'tiny.en', '--host', '127.0.0.2']);
  const port = Number(new URL(url).port);
  t.equal((await request(`${url}/health`)).status, 200, 'Host 127.0.0.2:PORT, as clients send it');
  t.equal((await request(`${url}/v1/models`, { headers: { origin: url } })).status, 200, 'its own origin');
  t.equal((await request(`${url}/v1/models`, { headers: { origin: `http://127.0.0.2:${port + 1}` } })).status, 403, 'another port on that address: another origin');
  t.equal((await request(`${url}/health`, { headers: { host: `127.0.0.2:${port + 1}` } })).status, 403, 'Host with another port');
});

t.test('with a key: the key is what counts', async (t) => {
  const { url } = await startServe(t, ['--model', 'tiny.en', '--api-key', 'k-123']);
  const auth = { authorization: 'Bearer k-123' };
  t.equal((await request(`${url}/v1/models`, { headers: { ...auth, host: 'transcriber.example.com', origin: 'https://app.example.com' } })).status, 200, 'any Host and Origin with the key');
  t.equal((await request(`${url}/v1/models`, { headers: { host: 'evil.example' } })).status, 401, 'without it: 401');
});

t.test('a real browser: DNS rebinding, a blind cross-site POST, and the page itself', async (t) => {
  if (!fs.existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM}: run scripts/setup.sh (apt-get install chromium) or set CHROMIUM_PATH`);
  const { url } = await startServe(t, ['--model', 'tiny.en']);
  const port = new URL(url).port;
  // The attacker's site, on another loopback port; evil.example resolves to 127.0.0.1 (rebinding).
  const jfk = fs.readFileSync(fixture('jfk.flac')).toString('base64');
  const evil = http.createServer((req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<html><body>hello</body></html>'));
  await new Promise((resolve) => evil.listen(0, '127.0.0.1', resolve));
  t.teardown(() => evil.close());
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu', '--host-resolver-rules=MAP evil.example 127.0.0.1'] });
  t.teardown(() => browser.close());
  const page = await browser.newPage();

  // Rebinding: the server at evil.example:PORT is the local server; the page would be same-origin with it.
  const rebound = await page.goto(`http://evil.example:${port}/`);
  t.equal(rebound.status(), 403, 'the server under the attacker\'s name: 403');
  const rebindFetch = await page.evaluate(async () => (await fetch('/health')).status).catch((e) => e.message);
  t.equal(rebindFetch, 403, 'and its API from that page: 403');

  // A blind POST from another site: sent (a "simple" request), the answer hidden from the page.
  const before = await requests(url);
  await page.goto(`http://localhost:${evil.address().port}/`);
  const sent = await page.evaluate(async ({ target, audio }) => {
    const form = new FormData();
    form.append('model', 'whisper-1');
    form.append('file', new Blob([Uint8Array.from(atob(audio), (c) => c.charCodeAt(0))]), 'notes.txt');
    await fetch(target, { method: 'POST', mode: 'no-cors', body: form });
    return true;
  }, { target: `${url}/v1/audio/transcriptions`, audio: jfk });
  t.ok(sent, 'the attacker\'s page sent it');
  await new Promise((r) => setTimeout(r, 3000));
  t.equal(await requests(url), before, 'the server did not transcribe it');

  // The page at / from the server's own origin works: its POST carries that Origin.
  await page.goto(`${url}/`);
  const own = await page.evaluate(async (audio) => {
    const form = new FormData();
    form.append('model', 'whisper-1');
    form.append('file', new Blob([Uint8Array.from(atob(audio), (c) => c.charCodeAt(0))]), 'jfk.flac');
    const r = await fetch('/v1/audio/transcriptions', { method: 'POST', body: form });
    return { status: r.status, body: await r.json() };
  }, jfk);
  t.equal(own.status, 200, 'the page\'s own request: 200');
  t.equal(words(own.body.text ?? ''), JFK_WORDS);
  t.equal(await requests(url), before + 1, 'and it was transcribed');
});
