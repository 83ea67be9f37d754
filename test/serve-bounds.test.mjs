// Resource bounds of `ct2-whisper serve`, as a real process on loopback: slow or idle clients are
// cut off by the header, body and idle timeouts and hold no queue place (a request is admitted
// once its form is read); queued uploads wait undecoded (memory) and are bounded by bytes.
import t from 'tap';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { fixture, tmpDir, words, JFK_WORDS } from './helpers.mjs';
import { startServe } from './servers.mjs';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function form(file, fields = {}) {
  const f = new FormData();
  f.append('file', new Blob([fs.readFileSync(file)]), path.basename(file));
  f.append('model', 'whisper-1');
  for (const [k, v] of Object.entries(fields)) f.append(k, v);
  return f;
}

/** A raw connection; `closed` resolves to { at, data } when the server closes it. */
function connect(url, onOpen) {
  const { port } = new URL(url);
  const s = net.connect(Number(port), '127.0.0.1', () => onOpen(s));
  let data = '';
  s.on('data', (b) => (data += b));
  s.on('error', () => {});
  const closed = new Promise((resolve) => s.on('close', () => resolve({ at: Date.now(), data })));
  return { s, closed };
}

/** Sends the start of a multipart upload, then a byte every 500 ms, never finishing. */
function slowUpload(url) {
  return connect(url, (s) => {
    s.write('POST /v1/audio/transcriptions HTTP/1.1\r\nHost: localhost\r\nContent-Type: multipart/form-data; boundary=b\r\nContent-Length: 1000000\r\n\r\n');
    s.write('--b\r\nContent-Disposition: form-data; name="model"\r\n\r\nwhisper-1\r\n--b\r\nContent-Disposition: form-data; name="file"; filename="a.wav"\r\n\r\nRIFF');
    const timer = setInterval(() => s.write('x'), 500);
    s.on('close', () => clearInterval(timer));
  });
}

const rssMb = (pid) => Number(/VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))[1]) / 1024;

t.test('slow and idle clients are cut off and hold no queue place', async (t) => {
  const srv = await startServe(t, ['--model', 'tiny.en', '--max-queue', '1', '--header-timeout', '2', '--body-timeout', '4', '--idle-timeout', '1']);
  const started = Date.now();
  const slow = [1, 2, 3, 4].map(() => slowUpload(srv.url));
  const silent = connect(srv.url, () => {});
  const partial = connect(srv.url, (s) => s.write('GET /health HTTP/1.1\r\nHost: localhost\r\n'));
  const keptAlive = connect(srv.url, (s) => s.write('GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n'));
  await sleep(1000);
  // Four uploads in progress on a one-place queue: a whole request is still served.
  const r = await fetch(`${srv.url}/v1/audio/transcriptions`, { method: 'POST', body: form(fixture('jfk.flac')) });
  t.equal(r.status, 200, 'a complete request is served while four uploads trickle in');
  t.equal(words((await r.json()).text ?? ''), JFK_WORDS);
  for (const [i, c] of slow.entries()) {
    const { at } = await Promise.race([c.closed, sleep(30_000).then(() => ({ at: Infinity }))]);
    t.ok(at - started < 25_000, `slow upload ${i} closed by the 4 s body timeout (${at - started} ms)`);
  }
  for (const [name, c] of [['a connection that sends nothing', silent], ['half-sent headers', partial]]) {
    const { at, data } = await Promise.race([c.closed, sleep(30_000).then(() => ({ at: Infinity, data: '' }))]);
    t.ok(at - started < 25_000, `${name}: closed by the 2 s header timeout (${at - started} ms)`);
    t.match(data, /^HTTP\/1\.1 408/, `${name}: 408`);
  }
  const idle = await Promise.race([keptAlive.closed, sleep(30_000).then(() => ({ at: Infinity, data: '' }))]);
  t.match(idle.data, /^HTTP\/1\.1 200/, 'the kept-alive connection was answered');
  t.ok(idle.at - started < 25_000, `then closed by the 1 s idle timeout (${idle.at - started} ms)`);
  const health = await (await fetch(`${srv.url}/health`)).json();
  t.equal(health.scheduler.admitted, 0, 'no queue place is held');
});

t.test('queued uploads wait undecoded, and the queue is bounded by upload bytes', async (t) => {
  const dir = tmpDir(t);
  // Two hours of silence less a minute: 1.3 MB of FLAC, 453 MB once decoded to 16 kHz float32.
  const silence = path.join(dir, 'silence.flac');
  const made = spawnSync('ffmpeg', ['-v', 'error', '-f', 'lavfi', '-i', 'anullsrc=r=16000:cl=mono', '-t', '7080', '-c:a', 'flac', silence]);
  t.equal(made.status, 0, String(made.stderr));
  const arthur = fixture('Arthur.mp3');
  const silenceBytes = fs.statSync(silence).size;
  const bound = fs.statSync(arthur).size + 3 * silenceBytes + 1000;
  const srv = await startServe(t, ['--model', 'tiny.en', '--threads', '1', '--max-queue', '8', '--max-queue-bytes', String(bound), '--max-audio-seconds', '7200']);
  const stop = new AbortController();
  t.teardown(() => stop.abort());
  const send = (file, fields) => fetch(`${srv.url}/v1/audio/transcriptions`, { method: 'POST', body: form(file, fields), signal: stop.signal }).catch((e) => e);
  // A long request in the engine (the sequential pipeline on 228 s), then six hours of silence behind it.
  const blocker = send(arthur, { vad_filter: 'false' });
  const stats = async () => (await (await fetch(`${srv.url}/health`)).json()).scheduler;
  for (let i = 0; i < 200 && (await stats()).admitted < 1; i++) await sleep(100);
  await sleep(1000);
  const before = rssMb(srv.child.pid);
  const queued = [1, 2, 3].map(() => send(silence));
  for (let i = 0; i < 300 && (await stats()).admitted < 4; i++) await sleep(100);
  const s = await stats();
  t.equal(s.admitted, 4, 'the long request and six hours of silence are admitted');
  t.equal(s.queued_bytes, bound - 1000, 'their upload bytes are counted');
  // The most RSS over 6 s while they wait (time for a decoder to have run, were one to).
  let most = 0;
  for (let i = 0; i < 30; i++, await sleep(200)) most = Math.max(most, rssMb(srv.child.pid));
  const grown = most - before;
  t.ok(grown < 500, `RSS grew by at most ${grown.toFixed(0)} MB with six hours of audio queued (decoded they would be 1.36 GB)`);
  t.comment(`RSS with 6 h of silence queued: +${grown.toFixed(0)} MB`);
  const refused = await send(silence);
  t.equal(refused.status, 429, 'one more upload passes --max-queue-bytes: 429');
  t.match((await refused.json()).error.message, /--max-queue-bytes/);
  stop.abort();
  await Promise.all([blocker, ...queued]);
  for (let i = 0; i < 300 && (await stats()).admitted > 0; i++) await sleep(100);
  t.equal((await stats()).admitted, 0, 'the requests left the queue when their clients left');
});

t.test('a bad upload with stream=true is still a 400, before any event', async (t) => {
  const dir = tmpDir(t);
  const bad = path.join(dir, 'notes.wav');
  fs.writeFileSync(bad, 'RIFF this is not audio at all'.repeat(50));
  const srv = await startServe(t, ['--model', 'tiny.en']);
  const r = await fetch(`${srv.url}/v1/audio/transcriptions`, { method: 'POST', body: form(bad, { stream: 'true' }) });
  t.equal(r.status, 400);
  t.match((await r.json()).error.message, /could not read notes\.wav as audio/);
  const ok = await fetch(`${srv.url}/v1/audio/transcriptions`, { method: 'POST', body: form(fixture('jfk.flac'), { stream: 'true' }) });
  t.equal(ok.status, 200);
  t.match(ok.headers.get('content-type'), /text\/event-stream/);
  const text = await ok.text();
  t.match(text, /transcript\.text\.done/);
});

t.test('a batched call takes at most maxCallAudioSeconds of decoded audio', async (t) => {
  const { startServer } = await import('../lib/server/app.js');
  const { modelDir } = await import('./helpers.mjs');
  const dir = tmpDir(t);
  const silence = path.join(dir, 'silence-20min.flac');
  spawnSync('ffmpeg', ['-v', 'error', '-f', 'lavfi', '-i', 'anullsrc=r=16000:cl=mono', '-t', '1200', '-c:a', 'flac', silence]);
  const server = await startServer({ models: [{ id: 'tiny.en', dir: modelDir('tiny.en') }], load: { cpuThreads: 1 }, scheduler: { gatherMs: 300, maxCallAudioSeconds: 1800 } }, '127.0.0.1', 0);
  t.teardown(() => server.close());
  const calls = async () => (await (await fetch(`${server.url}/health`)).json()).scheduler.engine_calls;
  const post = (file) => fetch(`${server.url}/v1/audio/transcriptions`, { method: 'POST', body: form(file) }).then((r) => r.status);
  let before = await calls();
  t.same(await Promise.all([post(fixture('jfk.flac')), post(fixture('jfk.flac'))]), [200, 200]);
  t.equal((await calls()) - before, 1, 'two short requests that arrive together share one call');
  before = await calls();
  t.same(await Promise.all([post(silence), post(silence)]), [200, 200]);
  t.equal((await calls()) - before, 2, 'two 20-minute requests do not: 40 min is more than a call takes (30 min)');
});
