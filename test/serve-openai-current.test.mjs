// OpenAI's current audio API against `ct2-whisper serve`, through the official `openai` client on
// loopback: the model ids clients send by default (and --model-alias / CT2_WHISPER_MODEL_ALIASES),
// response_format diarized_json (two real voices), known speakers, include[]=logprobs (in json and
// in the stream's events), chunking_strategy, a 400 for a field the server does not know, and a
// stream whose deltas come as the batches are decoded, not all at the end.
import t from 'tap';
import fs from 'node:fs';
import OpenAI from 'openai';
import { fixture, assertWords, words, wavBytes, runCli } from './helpers.mjs';
import { decodeAudio } from '../lib/index.js';
import { startServe } from './servers.mjs';

const KEY = 'test-key-current';
const SR = 16000;
const OPENAI_IDS = ['whisper-1', 'gpt-4o-transcribe', 'gpt-4o-mini-transcribe', 'gpt-4o-mini-transcribe-2025-12-15', 'gpt-4o-transcribe-diarize'];

const { url } = await startServe(t, ['--model', 'tiny.en', '--model-alias', 'gpt-4o-mini-transcribe=base'], {
  CT2_WHISPER_API_KEY: KEY,
  CT2_WHISPER_MODEL_ALIASES: 'my-whisper=base,gpt-4o-mini-transcribe=tiny.en',
});
const client = new OpenAI({ apiKey: KEY, baseURL: `${url}/v1`, maxRetries: 0 });
const audio = (name) => fs.createReadStream(fixture(name));

// Kennedy, then Lincoln: two voices, one after the other.
const [kennedy] = await decodeAudio(fixture('jfk.flac'));
const [lincoln] = await decodeAudio(fixture('gettysburg.wav'));
const both = new Float32Array(kennedy.length + lincoln.length);
both.set(kennedy);
both.set(lincoln, kennedy.length);
const split = kennedy.length / SR;
const twoVoices = () => OpenAI.toFile(wavBytes(both), 'two.wav');
const dataUrl = (samples) => `data:audio/wav;base64,${wavBytes(samples).toString('base64')}`;
const clip = (samples, from, to) => samples.subarray(Math.round(from * SR), Math.round(to * SR));
/** The speakers of the segments before the join and of those after it (by each segment's middle). */
const speakersBySide = (segments) => [
  [...new Set(segments.filter((s) => (s.start + s.end) / 2 < split).map((s) => s.speaker))],
  [...new Set(segments.filter((s) => (s.start + s.end) / 2 >= split).map((s) => s.speaker))],
];

t.test('the model ids OpenAI clients send, and aliases', async (t) => {
  const ids = (await client.models.list()).data.map((m) => m.id);
  t.same(ids, [...OPENAI_IDS, 'my-whisper', 'tiny.en', 'base'], 'OpenAI ids, the aliases given, then the served models');
  const health = await (await fetch(`${url}/health`)).json();
  t.equal(health.aliases['gpt-4o-transcribe'], 'tiny.en', 'gpt-4o-transcribe: the default model');
  t.equal(health.aliases['gpt-4o-mini-transcribe'], 'base', 'the flag wins over the environment for its name');
  t.equal(health.aliases['my-whisper'], 'base', 'an alias from CT2_WHISPER_MODEL_ALIASES');
  for (const model of ['gpt-4o-transcribe', 'gpt-4o-mini-transcribe', 'my-whisper']) {
    const r = await client.audio.transcriptions.create({ file: audio('jfk.flac'), model });
    assertWords(t, r.text, model);
  }
  // base is multilingual, tiny.en is not: translations tell them apart.
  const viaAlias = await client.audio.translations.create({ file: audio('jfk.flac'), model: 'gpt-4o-mini-transcribe' });
  t.ok(words(viaAlias.text).includes('country'), 'gpt-4o-mini-transcribe is base: it translates');
  const english = await client.audio.translations.create({ file: audio('jfk.flac'), model: 'gpt-4o-transcribe' }).catch((e) => e);
  t.equal(english.status, 400, 'gpt-4o-transcribe is tiny.en: English-only');

  const bad = await runCli(['serve', '--model', 'tiny.en', '--model-alias', 'no-equals-sign']);
  t.equal(bad.status, 2, 'a malformed alias is a usage error');
  t.match(bad.stderr, /--model-alias: give NAME=MODEL/);
  const clash = await runCli(['serve', '--model', 'tiny.en', '--model-alias', 'tiny.en=base']);
  t.equal(clash.status, 2);
  t.match(clash.stderr, /a served model has that name/);
});

t.test('diarized_json: segments of one speaker each, labelled A, B', async (t) => {
  const r = await client.audio.transcriptions.create({ file: await twoVoices(), model: 'gpt-4o-transcribe-diarize', response_format: 'diarized_json' });
  t.same(Object.keys(r).sort(), ['duration', 'segments', 'task', 'text', 'usage'], "OpenAI's keys");
  t.equal(r.task, 'transcribe');
  t.ok(Math.abs(r.duration - both.length / SR) < 0.01, 'duration');
  t.same(r.usage, { type: 'duration', seconds: Math.ceil(both.length / SR) });
  t.ok(words(r.text).startsWith('and so my fellow americans'), 'the text');
  for (const s of r.segments) {
    t.same(Object.keys(s).sort(), ['end', 'id', 'speaker', 'start', 'text', 'type'], `segment ${s.id}: OpenAI's keys`);
    t.equal(s.type, 'transcript.text.segment');
    t.type(s.id, 'string');
    t.ok(s.start <= s.end, `segment ${s.id} is ordered`);
  }
  t.equal(new Set(r.segments.map((s) => s.id)).size, r.segments.length, 'ids are unique');
  t.equal(r.segments.map((s) => s.text).join('').trim(), r.text, 'the segments add up to the text');
  t.same(speakersBySide(r.segments), [['A'], ['B']], 'Kennedy is A (first to speak), Lincoln B');

  const json = await client.audio.transcriptions.create({ file: await twoVoices(), model: 'gpt-4o-transcribe-diarize' });
  t.same(Object.keys(json).sort(), ['text', 'usage'], 'the diarizing model with json: the transcript alone, as OpenAI returns it');
});

t.test('known speakers take their names; the others keep letters', async (t) => {
  const references = [dataUrl(clip(kennedy, 0.3, 6)), dataUrl(clip(lincoln, 2, 8))];
  const r = await client.audio.transcriptions.create({
    file: await twoVoices(), model: 'gpt-4o-transcribe-diarize', response_format: 'diarized_json',
    known_speaker_names: ['kennedy', 'lincoln'], known_speaker_references: references,
  });
  t.same(speakersBySide(r.segments), [['kennedy'], ['lincoln']], 'the first voice is named kennedy, the second lincoln');

  const one = await client.audio.transcriptions.create({
    file: await twoVoices(), model: 'whisper-1', response_format: 'diarized_json',
    known_speaker_names: ['lincoln'], known_speaker_references: [references[1]],
  });
  t.same(new Set(one.segments.map((s) => s.speaker)), new Set(['A', 'lincoln']), `one known speaker: the other is A (${one.segments.map((s) => s.speaker)})`);

  const refuse = async (fields, param, message) => {
    const e = await client.audio.transcriptions.create({ file: await twoVoices(), model: 'whisper-1', response_format: 'diarized_json', ...fields }).catch((x) => x);
    t.equal(e.status, 400, `${param}: 400 (${e.error?.message})`);
    t.equal(e.param, param);
    t.match(e.error?.message, message);
  };
  await refuse({ known_speaker_names: ['a', 'b'], known_speaker_references: [references[0]] }, 'known_speaker_references', /must pair up/);
  await refuse({ known_speaker_names: ['a'], known_speaker_references: ['https://example.com/a.wav'] }, 'known_speaker_references', /data URL/);
  await refuse({ known_speaker_names: ['a'], known_speaker_references: [`data:audio/wav;base64,${Buffer.from('not audio, just text '.repeat(50)).toString('base64')}`] }, 'known_speaker_references', /\(“?"a"\)? could not be read as audio|could not be read as audio/);
  await refuse({ known_speaker_names: ['a'], known_speaker_references: [dataUrl(new Float32Array(35 * SR))] }, 'known_speaker_references', /longer than 30 s/);
  await refuse({ known_speaker_names: ['a', 'a'], known_speaker_references: [references[0], references[1]] }, 'known_speaker_names', /twice/);
  const plain = await client.audio.transcriptions.create({ file: audio('jfk.flac'), model: 'whisper-1', known_speaker_names: ['a'], known_speaker_references: [references[0]] }).catch((x) => x);
  t.equal(plain.status, 400, 'known speakers without diarization: 400');
  t.equal(plain.param, 'known_speaker_names');
});

/** Checks OpenAI's logprob entries: one per token, real log probabilities, their bytes the text. */
function checkLogprobs(t, logprobs, text, what) {
  t.ok(Array.isArray(logprobs) && logprobs.length > 5, `${what}: ${logprobs?.length} entries`);
  for (const l of logprobs) {
    t.same(Object.keys(l).sort(), ['bytes', 'logprob', 'token'], `${what}: {token, logprob, bytes}`);
    if (!(Number.isFinite(l.logprob) && l.logprob <= 0)) t.fail(`${what}: logprob ${l.logprob} of ${JSON.stringify(l.token)} is not a log probability`);
  }
  t.equal(Buffer.from(logprobs.flatMap((l) => l.bytes)).toString('utf8').trim(), text.trim(), `${what}: the tokens' bytes spell the text`);
  t.ok(new Set(logprobs.map((l) => l.logprob)).size > logprobs.length / 2, `${what}: values differ token to token`);
}

t.test('include[]=logprobs: one per token, in json and in the stream', async (t) => {
  const json = await client.audio.transcriptions.create({ file: audio('jfk.flac'), model: 'gpt-4o-transcribe', include: ['logprobs'] });
  checkLogprobs(t, json.logprobs, json.text, 'json');
  t.ok(json.logprobs.some((l) => l.logprob < -0.001), 'not all certain');

  // The segments' own average log probability (the beam search's score) agrees with them.
  const verbose = await client.audio.transcriptions.create({ file: audio('jfk.flac'), model: 'gpt-4o-transcribe', include: ['logprobs'], response_format: 'verbose_json' });
  const mean = verbose.logprobs.reduce((a, l) => a + l.logprob, 0) / verbose.logprobs.length;
  const avg = verbose.segments.reduce((a, s) => a + s.avg_logprob, 0) / verbose.segments.length;
  t.ok(Math.abs(mean - avg) < 0.3, `their mean (${mean.toFixed(3)}) is near the segments' avg_logprob (${avg.toFixed(3)})`);

  const stream = await client.audio.transcriptions.create({ file: audio('jfk.flac'), model: 'gpt-4o-transcribe', include: ['logprobs'], stream: true });
  const events = [];
  for await (const e of stream) events.push(e);
  const deltas = events.filter((e) => e.type === 'transcript.text.delta');
  const done = events.at(-1);
  t.equal(done.type, 'transcript.text.done');
  for (const d of deltas) checkLogprobs(t, d.logprobs, d.delta, 'a delta');
  checkLogprobs(t, done.logprobs, done.text, 'done');
  t.same(done.logprobs, deltas.flatMap((d) => d.logprobs), "done's are the deltas' together");

  // The sequential pipeline (whole 30 s windows, timestamp tokens left out of the entries).
  const sequential = await client.audio.transcriptions.create({ file: audio('jfk.flac'), model: 'gpt-4o-transcribe', include: ['logprobs'], vad_filter: false });
  checkLogprobs(t, sequential.logprobs, sequential.text, 'vad_filter=false');

  const without = await client.audio.transcriptions.create({ file: audio('jfk.flac'), model: 'gpt-4o-transcribe' });
  t.notOk('logprobs' in without, 'none unless asked for');
  const srt = await client.audio.transcriptions.create({ file: audio('jfk.flac'), model: 'whisper-1', include: ['logprobs'], response_format: 'srt' }).catch((e) => e);
  t.same([srt.status, srt.param], [400, 'include'], 'srt has no place for them: 400');
  const other = await client.audio.transcriptions.create({ file: audio('jfk.flac'), model: 'whisper-1', include: ['logprobs', 'timings'] }).catch((e) => e);
  t.same([other.status, other.param], [400, 'include'], 'an include value we do not have: 400');
});

t.test('chunking_strategy: auto, or server VAD settings onto our VAD', async (t) => {
  const auto = await client.audio.transcriptions.create({ file: audio('jfk.flac'), model: 'whisper-1', chunking_strategy: 'auto' });
  assertWords(t, auto.text, 'auto');
  const vad = await client.audio.transcriptions.create({
    file: audio('jfk.flac'), model: 'whisper-1', chunking_strategy: { type: 'server_vad', threshold: 0.4, prefix_padding_ms: 300, silence_duration_ms: 500 },
  });
  assertWords(t, vad.text, 'server_vad settings');
  // A threshold no window reaches: no speech, so no text. The setting takes effect.
  const deaf = await client.audio.transcriptions.create({ file: audio('jfk.flac'), model: 'whisper-1', chunking_strategy: { type: 'server_vad', threshold: 1 } });
  t.equal(deaf.text, '', 'threshold 1: nothing is speech');
  // As some clients send it: one field holding a JSON object.
  const post = async (entries) => {
    const form = new FormData();
    form.set('file', new Blob([fs.readFileSync(fixture('jfk.flac'))]), 'jfk.flac');
    form.set('model', 'whisper-1');
    for (const [k, v] of entries) form.append(k, v);
    const r = await fetch(`${url}/v1/audio/transcriptions`, { method: 'POST', body: form, headers: { authorization: `Bearer ${KEY}` } });
    return { status: r.status, body: await r.json() };
  };
  const asJson = await post([['chunking_strategy', JSON.stringify({ type: 'server_vad', threshold: 1 })]]);
  t.same([asJson.status, asJson.body.text], [200, ''], 'a JSON object in one field');
  for (const [entries, why] of [
    [[['chunking_strategy', '{"type": "server_vad", "threshold": 2}']], /chunking_strategy.threshold must be a number of at least 0 and at most 1/],
    [[['chunking_strategy[type]', 'server_vad'], ['chunking_strategy[window]', '3']], /no key "window"/],
    [[['chunking_strategy', 'sometimes']], /must be "auto" or an object/],
    [[['chunking_strategy[type]', 'server_vad'], ['chunking_strategy[constructor]', '1']], /no key "constructor"/],
    [[['chunking_strategy', '{"type": "server_vad", "__proto__": {"threshold": 1}}']], /no key "__proto__"/],
    [[['chunking_strategy[type]', 'client_vad']], /type must be "server_vad"/],
    [[['chunking_strategy', 'auto'], ['vad_filter', 'false']], /drop vad_filter=false/],
    [[['chunking_strategy[type]', 'server_vad'], ['chunking_strategy[threshold]', '0.3'], ['vad_threshold', '0.6']], /both set the VAD's threshold/],
  ]) {
    const r = await post(entries);
    t.same([r.status, r.body.error?.param], [400, 'chunking_strategy'], `${JSON.stringify(entries)}: 400`);
    t.match(r.body.error?.message, why);
  }
});

t.test('a field this server does not know is a 400, never ignored', async (t) => {
  const e = await client.audio.transcriptions.create({ file: audio('jfk.flac'), model: 'whisper-1', speed: 2 }).catch((x) => x);
  t.equal(e.status, 400);
  t.equal(e.param, 'speed');
  t.equal(e.code, 'unknown_parameter');
  t.match(e.error.message, /Unknown parameter: 'speed'/);
  const nested = await client.audio.transcriptions.create({ file: audio('jfk.flac'), model: 'whisper-1', extra: { a: 1 } }).catch((x) => x);
  t.same([nested.status, nested.param], [400, 'extra[a]']);
  const inherited = await client.audio.transcriptions.create({ file: audio('jfk.flac'), model: 'whisper-1', toString: 'x' }).catch((x) => x);
  t.equal(inherited.status, 400, `a name every object has is no field either: 400 (${inherited.error?.message})`);
});

t.test('diarized stream: deltas as decoded, then the segments with speakers, then done', async (t) => {
  const stream = await client.audio.transcriptions.create({ file: await twoVoices(), model: 'gpt-4o-transcribe-diarize', response_format: 'diarized_json', stream: true });
  const types = [];
  const segments = [];
  for await (const e of stream) {
    types.push(e.type);
    if (e.type === 'transcript.text.segment') segments.push(e);
  }
  t.equal(types.at(-1), 'transcript.text.done');
  t.ok(types.indexOf('transcript.text.delta') < types.indexOf('transcript.text.segment'), 'deltas first');
  t.ok(segments.length >= 2, `${segments.length} segment events`);
  t.same(new Set(segments.map((s) => s.speaker)), new Set(['A', 'B']), 'with their speakers');
  t.ok(segments.every((s) => typeof s.id === 'string' && s.start <= s.end && s.text.trim()), 'each with id, times and text');
});

t.test('stream=true with the default options: the first delta comes before half the time', async (t) => {
  // NM014.mp3, 2.5 minutes: the VAD cuts it into several chunks; the stream decodes them in
  // batches that grow (1, 2, 4, ...), each batch's segments sent as it is decoded.
  const started = performance.now();
  const stream = await client.audio.transcriptions.create({ file: audio('NM014.mp3'), model: 'whisper-1', stream: true });
  const arrivals = [];
  let done;
  for await (const e of stream) {
    if (e.type === 'transcript.text.delta') arrivals.push(performance.now() - started);
    else if (e.type === 'transcript.text.done') done = performance.now() - started;
  }
  t.ok(done > 0, `done after ${Math.round(done)} ms`);
  t.ok(arrivals.length >= 3, `${arrivals.length} deltas`);
  t.ok(arrivals[0] < done / 2, `the first delta after ${Math.round(arrivals[0])} ms, before half of ${Math.round(done)} ms`);
  t.ok(done - arrivals[0] > 1000, 'and well before the end');
});
