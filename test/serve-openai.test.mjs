// `ct2-whisper serve` through the official `openai` npm client, on loopback: every response
// format, word and segment timestamps, streaming, translations, and the errors clients see
// (401, 413, 404-style model errors, 400 for what is not audio), with real models and audio.
import t from 'tap';
import fs from 'node:fs';
import OpenAI from 'openai';
import { fixture, assertWords, words, wordErrorRate, tmpDir, runCli, wavBytes, JFK_WORDS } from './helpers.mjs';
import { decodeAudio } from '../lib/index.js';
import { startServe } from './servers.mjs';

const KEY = 'test-key-123';
const audio = (name) => fs.createReadStream(fixture(name));

// The server's TMPDIR: ffmpeg's temp copies of uploads go there and must not stay.
const serverTmp = tmpDir(t);
const { url } = await startServe(t, ['--model', 'tiny.en', '--model', 'base', '--max-file-bytes', '2000000', '--max-audio-seconds', '30'], { CT2_WHISPER_API_KEY: KEY, TMPDIR: serverTmp });
const client = new OpenAI({ apiKey: KEY, baseURL: `${url}/v1`, maxRetries: 0 });

t.test('models and health', async (t) => {
  const list = [];
  for await (const m of client.models.list()) list.push(m.id);
  t.same(list, ['whisper-1', 'gpt-4o-transcribe', 'gpt-4o-mini-transcribe', 'gpt-4o-mini-transcribe-2025-12-15', 'gpt-4o-transcribe-diarize', 'tiny.en', 'base'], "OpenAI's ids (the default model) and our names");
  const health = await (await fetch(`${url}/health`)).json();
  t.equal(health.status, 'ok');
  t.equal(health.default_model, 'tiny.en');
});

t.test('every response format', async (t) => {
  const json = await client.audio.transcriptions.create({ file: audio('jfk.flac'), model: 'whisper-1' });
  assertWords(t, json.text, 'json');
  t.same(json.usage, { type: 'duration', seconds: 11 });

  const text = await client.audio.transcriptions.create({ file: audio('jfk.flac'), model: 'tiny.en', response_format: 'text' });
  t.type(text, 'string');
  t.equal(text, `${json.text}\n`, 'text: the same transcript');

  const srt = await client.audio.transcriptions.create({ file: audio('jfk.flac'), model: 'whisper-1', response_format: 'srt' });
  t.match(srt, /^1\n00:00:0\d,\d{3} --> 00:00:\d\d,\d{3}\nAnd so\b/);
  const vtt = await client.audio.transcriptions.create({ file: audio('jfk.flac'), model: 'whisper-1', response_format: 'vtt' });
  t.match(vtt, /^WEBVTT\n\n00:00:0\d\.\d{3} --> 00:00:\d\d\.\d{3}\nAnd so\b/);

  const verbose = await client.audio.transcriptions.create({ file: audio('jfk.flac'), model: 'whisper-1', response_format: 'verbose_json', language: 'en' });
  t.equal(verbose.task, 'transcribe');
  t.equal(verbose.language, 'english');
  t.equal(verbose.duration, 11);
  t.equal(verbose.text, json.text);
  t.equal(verbose.segments[0].id, 0, 'segment ids from 0, as OpenAI');
  for (const k of ['seek', 'start', 'end', 'text', 'tokens', 'temperature', 'avg_logprob', 'compression_ratio', 'no_speech_prob']) t.ok(k in verbose.segments[0], `segment has ${k}`);
  t.notOk('words' in verbose, 'no words unless asked for');
});

t.test('word and segment granularities', async (t) => {
  const both = await client.audio.transcriptions.create({
    file: audio('jfk.flac'), model: 'whisper-1', response_format: 'verbose_json', timestamp_granularities: ['word', 'segment'],
  });
  assertWords(t, both.words.map((w) => w.word).join(' '), 'the words spell the transcript');
  let last = 0;
  for (const w of both.words) {
    t.ok(w.start >= last - 1e-6 && w.end >= w.start, `word ${w.word} in order`);
    last = w.start;
  }
  t.ok(both.words.at(-1).end <= 11 && both.words.at(-1).end > 8, 'the last word ends near the end');
  t.ok(both.segments.length >= 1);
  const wordsOnly = await client.audio.transcriptions.create({
    file: audio('jfk.flac'), model: 'whisper-1', response_format: 'verbose_json', timestamp_granularities: ['word'],
  });
  t.ok(wordsOnly.words.length > 10);
  t.notOk('segments' in wordsOnly, 'word granularity alone: no segments');
  t.same(wordsOnly.words, both.words, 'the same words either way');
});

t.test('streaming', async (t) => {
  const stream = await client.audio.transcriptions.create({ file: audio('jfk.flac'), model: 'whisper-1', stream: true });
  const events = [];
  for await (const e of stream) events.push(e);
  const deltas = events.filter((e) => e.type === 'transcript.text.delta');
  const done = events.filter((e) => e.type === 'transcript.text.done');
  t.ok(deltas.length >= 1, 'delta events');
  t.equal(done.length, 1, 'one done event');
  t.equal(events.at(-1).type, 'transcript.text.done', 'done comes last');
  assertWords(t, done[0].text);
  t.equal(deltas.map((d) => d.delta).join('').trim(), done[0].text, 'the deltas add up to the text');
});

t.test('translations (a multilingual model)', async (t) => {
  const r = await client.audio.translations.create({ file: audio('jfk.flac'), model: 'base' });
  t.ok(wordErrorRate(JFK_WORDS, r.text) < 0.3, `English text: ${r.text}`);
  const v = await client.audio.translations.create({ file: audio('jfk.flac'), model: 'base', response_format: 'verbose_json' });
  t.equal(v.task, 'translate');
  const english = await client.audio.translations.create({ file: audio('jfk.flac'), model: 'tiny.en' }).catch((e) => e);
  t.equal(english.status, 400, 'an English-only model cannot translate');
  t.match(english.error.message, /English-only/);
});

t.test('errors as OpenAI sends them', async (t) => {
  const wrong = new OpenAI({ apiKey: 'wrong', baseURL: `${url}/v1`, maxRetries: 0 });
  const e401 = await wrong.audio.transcriptions.create({ file: audio('jfk.flac'), model: 'whisper-1' }).catch((e) => e);
  t.equal(e401.status, 401, 'wrong key');
  t.equal(e401.code, 'invalid_api_key');
  t.type(e401, OpenAI.AuthenticationError);
  const noKey = await fetch(`${url}/v1/models`);
  t.equal(noKey.status, 401, 'no key');
  t.same(Object.keys((await noKey.json()).error).sort(), ['code', 'message', 'param', 'type']);

  const e413 = await client.audio.transcriptions.create({ file: audio('Arthur.mp3'), model: 'whisper-1' }).catch((e) => e);
  t.equal(e413.status, 413, 'a file over --max-file-bytes');
  t.match(e413.error.message, /Arthur\.mp3 is larger than this server's limit of 2000000 bytes/);
  const long = await client.audio.transcriptions.create({ file: audio('multilingual.mp3'), model: 'whisper-1' }).catch((e) => e);
  t.equal(long.status, 413, 'audio over --max-audio-seconds');
  t.match(long.error.message, /longer than this server's limit of 30 s/);

  const e404 = await client.audio.transcriptions.create({ file: audio('jfk.flac'), model: 'whisper-9' }).catch((e) => e);
  t.equal(e404.status, 404);
  t.type(e404, OpenAI.NotFoundError);
  t.equal(e404.code, 'model_not_found');
  t.equal(e404.param, 'model');
  t.equal(e404.type, 'invalid_request_error');

  const notAudio = await client.audio.transcriptions.create({ file: fs.createReadStream(new URL('../package.json', import.meta.url)), model: 'whisper-1' }).catch((e) => e);
  t.equal(notAudio.status, 400, 'a non-audio upload');
  t.type(notAudio, OpenAI.BadRequestError);
  t.equal(notAudio.param, 'file');
  t.match(notAudio.error.message, /could not read package\.json as audio/);
  t.notMatch(notAudio.error.message, /ct2w-audio-/, 'no temp paths in the message');

  const empty = await client.audio.transcriptions.create({ file: await OpenAI.toFile(Buffer.alloc(0), 'empty.wav'), model: 'whisper-1' }).catch((e) => e);
  t.equal(empty.status, 400);
  t.match(empty.error.message, /empty/);
  const badFormat = await client.audio.transcriptions.create({ file: audio('jfk.flac'), model: 'whisper-1', response_format: 'xml' }).catch((e) => e);
  t.equal(badFormat.status, 400);
  t.equal(badFormat.param, 'response_format');
  const badTemp = await client.audio.transcriptions.create({ file: audio('jfk.flac'), model: 'whisper-1', temperature: 7 }).catch((e) => e);
  t.equal(badTemp.param, 'temperature');
  const badLang = await client.audio.transcriptions.create({ file: audio('jfk.flac'), model: 'whisper-1', language: 'xx' }).catch((e) => e);
  t.equal(badLang.param, 'language');

  // Still up, and nothing left behind in the queue.
  const after = await client.audio.transcriptions.create({ file: audio('jfk.flac'), model: 'whisper-1' });
  assertWords(t, after.text, 'the server still answers');
  const health = await (await fetch(`${url}/health`)).json();
  t.equal(health.scheduler.admitted, 0, 'no request holds a place');
  t.same(fs.readdirSync(serverTmp), [], 'no temp files left');
});

t.test('extras under their own names', async (t) => {
  const form = new FormData();
  form.set('file', new Blob([fs.readFileSync(fixture('jfk.flac'))]), 'jfk.flac');
  form.set('model', 'whisper-1');
  form.set('response_format', 'verbose_json');
  form.set('word_timestamps', 'true');
  form.set('vad_filter', 'false');
  const r = await fetch(`${url}/v1/audio/transcriptions`, { method: 'POST', body: form, headers: { authorization: `Bearer ${KEY}` } });
  t.equal(r.status, 200);
  const body = await r.json();
  assertWords(t, body.text, 'vad_filter=false: the sequential pipeline');
  t.ok(body.words.length > 10, 'word_timestamps=true gives words');
});

t.test('diarize=true labels the speakers of a two-speaker clip', async (t) => {
  // Kennedy, then Lincoln: two speakers, one after the other.
  const [kennedy] = await decodeAudio(fixture('jfk.flac'));
  const [lincoln] = await decodeAudio(fixture('gettysburg.wav'));
  const both = new Float32Array(kennedy.length + lincoln.length);
  both.set(kennedy);
  both.set(lincoln, kennedy.length);
  const post = async (fields) => {
    const form = new FormData();
    form.set('file', new Blob([wavBytes(both)]), 'two.wav');
    form.set('model', 'tiny.en');
    for (const [k, v] of Object.entries(fields)) form.set(k, v);
    const r = await fetch(`${url}/v1/audio/transcriptions`, { method: 'POST', body: form, headers: { authorization: `Bearer ${KEY}` } });
    return { status: r.status, body: await r.json() };
  };
  const { status, body } = await post({ response_format: 'verbose_json', 'timestamp_granularities[]': 'word', diarize: 'true' });
  t.equal(status, 200);
  t.equal(body.speakers.length, 2, 'two speakers');
  const split = kennedy.length / 16000;
  const who = (from, to) => new Set(body.words.filter((w) => w.start >= from && w.end <= to).map((w) => w.speaker));
  const first = who(0, split - 0.5);
  const second = who(split + 0.5, Infinity);
  t.equal(first.size, 1, `Kennedy's words have one speaker (${[...first]})`);
  t.equal(second.size, 1, `Lincoln's words have one speaker (${[...second]})`);
  t.not([...first][0], [...second][0], 'and not the same one');
  t.ok(body.words.every((w) => /^SPEAKER_\d\d$/.test(w.speaker)), 'every word labelled');

  const bad = await post({ diarize: 'true', min_speakers: '3', max_speakers: '2' });
  t.equal(bad.status, 400);
  t.equal(bad.body.error.param, 'min_speakers');
  const without = await post({ min_speakers: '2' });
  t.equal(without.status, 400, 'speaker counts need diarize');
});

t.test('serve command line', async (t) => {
  const help = await runCli(['serve', '--help']);
  t.equal(help.status, 0);
  t.match(help.stdout, /usage: ct2-whisper serve/);
  t.match(help.stdout, /--api-key KEY/);
  const badPort = await runCli(['serve', '--port', 'eighty']);
  t.equal(badPort.status, 2, 'a usage error');
  t.match(badPort.stderr, /--port must be an integer from 0 to 65535/);
  const badModel = await runCli(['serve', '--model', '/nonexistent/model-dir']);
  t.equal(badModel.status, 1);
  t.match(badModel.stderr, /unknown model|not a directory/);
});

t.test('malformed requests: 400 naming what is wrong', async (t) => {
  const auth = { authorization: `Bearer ${KEY}` };
  const post = async (body, headers = {}) => {
    const r = await fetch(`${url}/v1/audio/transcriptions`, { method: 'POST', body, headers: { ...auth, ...headers } });
    return { status: r.status, error: (await r.json()).error };
  };
  const jfk = new Blob([fs.readFileSync(fixture('jfk.flac'))]);
  const form = (entries) => {
    const f = new FormData();
    for (const [k, v, name] of entries) (name ? f.append(k, v, name) : f.append(k, v));
    return f;
  };
  const json = await post(JSON.stringify({ model: 'whisper-1' }), { 'content-type': 'application/json' });
  t.equal(json.status, 400);
  t.match(json.error.message, /multipart\/form-data/);
  const noFile = await post(form([['model', 'whisper-1']]));
  t.same([noFile.status, noFile.error.param], [400, 'file']);
  const noModel = await post(form([['file', jfk, 'jfk.flac']]));
  t.same([noModel.status, noModel.error.param], [400, 'model']);
  const twoFiles = await post(form([['file', jfk, 'a.flac'], ['file', jfk, 'b.flac'], ['model', 'whisper-1']]));
  t.same([twoFiles.status, twoFiles.error.param], [400, 'file']);
  const wrongField = await post(form([['audio', jfk, 'jfk.flac'], ['model', 'whisper-1']]));
  t.same([wrongField.status, wrongField.error.param], [400, 'audio']);
  const granularity = await post(form([['file', jfk, 'jfk.flac'], ['model', 'whisper-1'], ['timestamp_granularities[]', 'word']]));
  t.same([granularity.status, granularity.error.param], [400, 'timestamp_granularities'], 'granularities need verbose_json');
  const unknownRoute = await fetch(`${url}/v1/audio/speech`, { method: 'POST', headers: auth });
  t.equal(unknownRoute.status, 404);
  t.equal((await unknownRoute.json()).error.code, 'unknown_url');
});
