// serve's /v1/realtime (OpenAI's Realtime API, transcription sessions): the official openai SDK's
// realtime WebSocket client (openai/realtime/ws) streams jfk.flac as OpenAI's PCM16 at 24 kHz, at
// real time (REALTIME_TEST_PACE times faster when set), and receives the session's events: turns,
// deltas, each item's completed transcript. Then the edges: the key (header, the browser's
// subprotocol), --max-sessions, bad events answered with `error` while the session goes on.
import t from 'tap';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import OpenAI from 'openai';
import { OpenAIRealtimeWS } from 'openai/realtime/ws';
import WebSocket from 'ws';
import { fixture, assertWords, words, cache, root } from './helpers.mjs';
import { startServe } from './servers.mjs';

const PACE = Number(process.env.REALTIME_TEST_PACE || 1);
const KEY = 'test-key';
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** The SDK builds wss:// URLs; on loopback the same bytes go over plain TCP to our port. */
const plain = { createConnection: (o) => net.connect(Number(o.port), o.host) };

/** jfk.flac as PCM16 little-endian mono at 24 kHz (ffmpeg), with silence before and after. */
function pcm24k() {
  const r = spawnSync('ffmpeg', ['-nostdin', '-v', 'error', '-i', fixture('jfk.flac'), '-ac', '1', '-ar', '24000', '-f', 's16le', '-'], { maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`ffmpeg: ${r.stderr}`);
  const lead = Buffer.alloc(24000 * 2);
  return Buffer.concat([lead, r.stdout, Buffer.alloc(24000 * 2 * 3)]);
}

/** Waits for the first event of `type` (optionally matching) on an SDK connection. */
const next = (rt, type, match = () => true) =>
  new Promise((resolve) => {
    const on = (e) => {
      if (e.type === type && match(e)) {
        rt.off('event', on);
        resolve(e);
      }
    };
    rt.on('event', on);
  });

t.test('the openai SDK realtime client: deltas and completed transcripts for a WAV streamed at real time', async (t) => {
  const { url } = await startServe(t, ['--model', 'tiny.en', '--api-key', KEY, '--max-sessions', '1']);
  const client = new OpenAI({ apiKey: KEY, baseURL: `${url}/v1` });
  const rt = new OpenAIRealtimeWS({ model: 'whisper-1', options: plain }, client);
  const events = [];
  rt.on('event', (e) => events.push({ ...e, at: performance.now() }));
  rt.on('error', (e) => events.push({ type: 'sdk-error', message: e.message }));
  const created = await next(rt, 'session.created');
  t.equal(created.session.type, 'transcription');
  rt.send({
    type: 'session.update',
    session: {
      type: 'transcription',
      audio: {
        input: {
          format: { type: 'audio/pcm', rate: 24000 },
          transcription: { model: 'whisper-1', language: 'en' },
          turn_detection: { type: 'server_vad', threshold: 0.5, prefix_padding_ms: 300, silence_duration_ms: 1500 },
        },
      },
      include: ['item.input_audio_transcription.logprobs'],
    },
  });
  const updated = await next(rt, 'session.updated');
  t.same(updated.session.audio.input.turn_detection, { type: 'server_vad', threshold: 0.5, prefix_padding_ms: 300, silence_duration_ms: 1500 });
  t.equal(updated.session.audio.input.transcription.language, 'en');

  const audio = pcm24k();
  const chunk = 2400 * 2; // 100 ms
  const t0 = performance.now();
  for (let i = 0; i < audio.length; i += chunk) {
    rt.send({ type: 'input_audio_buffer.append', audio: audio.subarray(i, i + chunk).toString('base64') });
    const wait = ((i + chunk) / 48000) * 1000 / PACE - (performance.now() - t0);
    if (wait > 0) await sleep(wait);
  }
  // Every item committed gets its completed (within a time a slow machine allows).
  for (let i = 0; i < 600; i++) {
    const committed = events.filter((e) => e.type === 'input_audio_buffer.committed').length;
    const done = events.filter((e) => e.type.startsWith('conversation.item.input_audio_transcription.') && !e.type.endsWith('.delta')).length;
    const speaking = events.filter((e) => e.type === 'input_audio_buffer.speech_started').length > events.filter((e) => e.type === 'input_audio_buffer.speech_stopped').length;
    if (committed > 0 && done === committed && !speaking) break;
    await sleep(200);
  }
  rt.close();
  const types = events.map((e) => e.type);
  t.notOk(types.some((x) => x === 'error' || x === 'sdk-error' || x.endsWith('.failed')), `no error (${[...new Set(types)].join(', ')})`);
  const completed = events.filter((e) => e.type === 'conversation.item.input_audio_transcription.completed');
  t.ok(completed.length >= 1, `${completed.length} items completed`);
  for (const c of completed) {
    t.equal(c.content_index, 0);
    t.equal(c.usage.type, 'duration');
    const mine = events.filter((e) => e.item_id === c.item_id).map((e) => e.type);
    t.same(
      mine.filter((x) => !x.endsWith('.delta')),
      ['input_audio_buffer.speech_started', 'input_audio_buffer.speech_stopped', 'input_audio_buffer.committed', 'conversation.item.input_audio_transcription.completed'],
      `${c.item_id}: OpenAI's order`,
    );
    const item = events.filter((e) => e.item?.id === c.item_id).map((e) => `${e.type} ${e.item.content[0].transcript}`);
    t.same(item, ['conversation.item.added null', `conversation.item.done ${c.transcript}`], `${c.item_id}: the item added at commit, done with its transcript`);
    t.ok(mine.lastIndexOf('conversation.item.input_audio_transcription.delta') < mine.indexOf('conversation.item.input_audio_transcription.completed'), 'deltas come before completed');
  }
  const deltas = events.filter((e) => e.type === 'conversation.item.input_audio_transcription.delta');
  t.comment(completed.map((c) => c.transcript).join(' | '));
  t.ok(deltas.length >= 1, `text came as deltas (${deltas.length}: ${JSON.stringify(deltas.map((d) => d.delta).join('|'))})`);
  for (const c of completed) {
    const sent = deltas.filter((d) => d.item_id === c.item_id).map((d) => d.delta).join('');
    if (c.transcript.startsWith(sent)) t.equal(sent, c.transcript, `${c.item_id}: the deltas add up to the transcript`);
  }
  assertWords(t, completed.map((c) => c.transcript).join(' '), 'the completed transcripts say the recording');
  for (const c of completed) {
    const lp = c.logprobs ?? [];
    t.ok(lp.length >= 1 && lp.every((x) => typeof x.token === 'string' && x.logprob <= 0 && Array.isArray(x.bytes)), `${c.item_id}: the transcript's token logprobs (${lp.length})`);
    t.equal(words(lp.map((x) => x.token).join('')), words(c.transcript), `${c.item_id}: the logprobs' tokens spell the transcript`);
  }
  t.ok(deltas.every((d) => d.logprobs === null), 'deltas (partial decodings, not scored) have logprobs null');
  const firstStart = events.find((e) => e.type === 'input_audio_buffer.speech_started');
  t.ok(firstStart.audio_start_ms > 400 && firstStart.audio_start_ms < 1400, `speech starts near 1 s of audio (${firstStart.audio_start_ms} ms)`);
});

/** Opens a raw WebSocket (as a browser would, or a client with a wrong key); resolves with the socket or the refusal's status. */
function connect(url, { protocols, headers } = {}) {
  return new Promise((resolve) => {
    const ws = new WebSocket(url.replace(/^http/, 'ws') + '/v1/realtime?intent=transcription', protocols, { headers });
    ws.once('open', () => resolve({ ws }));
    ws.once('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (b) => (body += b));
      res.on('end', () => resolve({ status: res.statusCode, body: JSON.parse(body) }));
    });
    ws.once('error', (e) => resolve({ error: e }));
  });
}

const nextMessage = (ws, type) =>
  new Promise((resolve) => {
    const on = (data) => {
      const e = JSON.parse(data);
      if (e.type === type) {
        ws.off('message', on);
        resolve(e);
      }
    };
    ws.on('message', on);
  });

t.test('the key, the browser subprotocol, --max-sessions, bad events', async (t) => {
  const { url } = await startServe(t, ['--model', 'tiny.en', '--api-key', KEY, '--max-sessions', '1']);
  const none = await connect(url);
  t.equal(none.status, 401, 'no key: 401');
  t.equal(none.body.error.code, 'missing_api_key');
  const wrong = await connect(url, { headers: { authorization: 'Bearer nope' } });
  t.equal(wrong.status, 401, 'a wrong key: 401');
  t.equal(wrong.body.error.code, 'invalid_api_key');

  const browser = await connect(url, { protocols: ['realtime', `openai-insecure-api-key.${KEY}`] });
  t.ok(browser.ws, 'the key as a subprotocol (what browsers send) opens a session');
  t.equal(browser.ws.protocol, 'realtime', 'the answer names "realtime", not the key');
  const busy = await connect(url, { headers: { authorization: `Bearer ${KEY}` } });
  t.equal(busy.status, 429, '--max-sessions 1: a second session is refused');

  const ws = browser.ws;
  const send = (e) => ws.send(JSON.stringify(e));
  send({ type: 'session.update', event_id: 'ev1', session: { type: 'transcription', audio: { input: { format: { type: 'audio/pcm', rate: 44100 } } } } });
  const bad = await nextMessage(ws, 'error');
  t.equal(bad.error.param, 'session.audio.input.format.rate');
  t.equal(bad.error.event_id, 'ev1', 'the error names the client event');
  send({ type: 'session.update', session: { type: 'transcription', audio: { input: { transcription: { model: 'no-such-model' } } } } });
  t.equal((await nextMessage(ws, 'error')).error.code, 'model_not_found');
  send({ type: 'response.create' });
  t.equal((await nextMessage(ws, 'error')).error.code, 'unknown_event');
  ws.send('not json');
  t.equal((await nextMessage(ws, 'error')).error.code, 'invalid_json');
  send({ type: 'transcription_session.update', session: { input_audio_format: 'pcm16', turn_detection: null, input_audio_transcription: { model: 'whisper-1', language: 'en' } } });
  const old = await nextMessage(ws, 'transcription_session.updated');
  t.equal(old.session.turn_detection, null, 'the older shape is answered in its own shape');
  send({ type: 'input_audio_buffer.commit' });
  t.equal((await nextMessage(ws, 'error')).error.code, 'input_audio_buffer_commit_empty');
  send({ type: 'input_audio_buffer.append', audio: Buffer.alloc(24000 * 2).toString('base64') });
  send({ type: 'input_audio_buffer.clear' });
  await nextMessage(ws, 'input_audio_buffer.cleared');
  ws.close();
  await new Promise((r) => ws.once('close', r));
  // The session's place is free again once it closed.
  let again;
  for (let i = 0; i < 50; i++) {
    again = await connect(url, { headers: { authorization: `Bearer ${KEY}` } });
    if (again.ws) break;
    await sleep(100);
  }
  t.ok(again.ws, 'a closed session frees its place');
  again.ws?.close();
});

t.test('the openai Python SDK realtime client (openai[realtime], pinned; scripts/prepare-test.mjs installs it)', async (t) => {
  const python = path.join(cache, 'openai-venv', 'bin', 'python');
  if (!fs.existsSync(python)) throw new Error(`no ${python}: run node scripts/prepare-test.mjs`);
  const { url } = await startServe(t, ['--model', 'tiny.en', '--api-key', KEY]);
  const r = spawnSync(python, [path.join(root, 'test', 'data', 'openai-realtime-client.py'), url, KEY, fixture('jfk.flac'), String(PACE)], { encoding: 'utf8', timeout: 600_000 });
  t.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout.trim().split('\n').pop());
  t.equal(out.types[0], 'session.created');
  t.ok(out.types.includes('session.updated'));
  t.ok(out.types.includes('input_audio_buffer.committed'));
  t.ok(out.completed.length >= 1, `completed: ${JSON.stringify(out.completed)}`);
  t.ok(out.deltas.length >= 1, `deltas: ${JSON.stringify(out.deltas)}`);
  assertWords(t, out.completed.join(' '), 'the completed transcripts say the recording');
});

t.test('without a key: the Host and Origin checks of the HTTP routes', async (t) => {
  const { url } = await startServe(t, ['--model', 'tiny.en']);
  const foreign = await connect(url, { headers: { origin: 'http://evil.example' } });
  t.equal(foreign.status, 403, 'a page on another site may not open a session');
  const rebound = await connect(url, { headers: { host: 'evil.example' } });
  t.equal(rebound.status, 403, 'a Host name not answered (DNS rebinding)');
  const own = await connect(url, { headers: { origin: url } });
  t.ok(own.ws, 'the server\'s own page may');
  own.ws?.close();
});
