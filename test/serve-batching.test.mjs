// The server's scheduler: ten clients at once get what each gets alone, in fewer engine calls
// and encoder batches than requests (their chunks shared batches); with batching off, one call
// per request; a full queue answers 429 with Retry-After; a client that leaves stops its work.
import t from 'tap';
import OpenAI from 'openai';
import { fixture, assertWords, words, wavBytes as wav } from './helpers.mjs';
import { startServe } from './servers.mjs';
import { decodeAudio } from '../lib/audio.js';
import { getSpeechTimestamps, collectChunks } from '../lib/vad.js';

// Ten short clips: pieces of two recordings.
const [jfk] = await decodeAudio(fixture('jfk.flac'));
const [gettysburg] = await decodeAudio(fixture('gettysburg.wav'));
const sec = 16000;
const clips = [
  jfk, gettysburg,
  jfk.subarray(0, 5 * sec), jfk.subarray(4 * sec), jfk.subarray(2 * sec, 8 * sec),
  gettysburg.subarray(0, 4 * sec), gettysburg.subarray(3 * sec), gettysburg.subarray(1 * sec, 7 * sec),
  jfk.subarray(6 * sec), gettysburg.subarray(5 * sec),
].map((s, i) => ({ name: `clip${i}.wav`, bytes: wav(s) }));
// Two of them with prompts of different lengths: their chunks cannot share a decoder batch with
// the others (CTranslate2 wants the start of transcript at one place per batch), yet go in the
// same engine call.
clips[3].prompt = 'President Kennedy, inaugural address.';
clips[7].prompt = 'Lincoln.';

const clientOf = (url) => new OpenAI({ apiKey: 'none', baseURL: `${url}/v1`, maxRetries: 0 });
const health = async (url) => (await (await fetch(`${url}/health`)).json()).scheduler;
const ask = (client, clip) => client.audio.transcriptions.create({
  file: new File([clip.bytes], clip.name), model: 'whisper-1', response_format: 'verbose_json', timestamp_granularities: ['word', 'segment'],
  ...(clip.prompt ? { prompt: clip.prompt } : {}),
});

t.test('ten clients at once: the results of one at a time, in shared batches', async (t) => {
  const { url } = await startServe(t, ['--model', 'tiny.en', '--batch-size', '8', '--gather-ms', '100']);
  const client = clientOf(url);
  const alone = [];
  const before = await health(url);
  for (const clip of clips) alone.push(await ask(client, clip));
  const afterAlone = await health(url);
  t.equal(afterAlone.engine_calls - before.engine_calls, 10, 'one at a time: one engine call each');
  t.equal(afterAlone.encoder_batches - before.encoder_batches, 10, 'one encoder batch each (one chunk per clip)');
  assertWords(t, alone[0].text);
  t.match(words(alone[1].text), /four score and seven years ago/);

  const together = await Promise.all(clips.map((clip) => ask(client, clip)));
  const after = await health(url);
  t.same(together, alone, 'every answer equals its one-at-a-time answer (text, segments, words)');
  const calls = after.engine_calls - afterAlone.engine_calls;
  const batches = after.encoder_batches - afterAlone.encoder_batches;
  t.ok(calls < 10, `fewer engine calls (${calls}) than requests (10)`);
  t.ok(batches < 10, `fewer encoder batches (${batches}) than requests (10)`);
  t.equal(after.admitted, 0);
});

t.test('batching off: one request per engine call, same answers', async (t) => {
  const { url } = await startServe(t, ['--model', 'tiny.en', '--batching', 'false']);
  const client = clientOf(url);
  const before = await health(url);
  t.equal(before.batching, false);
  const some = clips.slice(0, 3);
  const answers = await Promise.all(some.map((clip) => ask(client, clip)));
  const after = await health(url);
  t.equal(after.engine_calls - before.engine_calls, 3, 'three calls for three requests');
  t.equal(after.encoder_batches - before.encoder_batches, 3);
  assertWords(t, answers[0].text);
});

t.test('a full queue answers 429; a client that leaves is cancelled', async (t) => {
  const { url } = await startServe(t, ['--model', 'tiny.en', '--max-queue', '1', '--batch-size', '1']);
  const client = clientOf(url);
  // A long request (two minutes), streamed: once its first event arrives it holds the only place.
  const longAudio = new Float32Array(gettysburg.length * 12);
  for (let i = 0; i < 12; i++) longAudio.set(gettysburg, i * gettysburg.length);
  // Its speech chunks, as the batched pipeline cuts them: one encoder batch each at --batch-size 1.
  const chunks = collectChunks(longAudio, await getSpeechTimestamps(longAudio, { minSilenceDurationMs: 160, maxSpeechDurationS: 30 }), 30).length;
  t.ok(chunks >= 4, `the long request has ${chunks} chunks`);
  const leaving = new AbortController();
  const long = await client.audio.transcriptions.create(
    { file: new File([wav(longAudio)], 'long.wav'), model: 'whisper-1', stream: true, stream_extras: true },
    { signal: leaving.signal },
  );
  const iterator = long[Symbol.asyncIterator]();
  const first = await iterator.next();
  t.equal(first.value.type, 'ct2_whisper.progress', 'the long request is running');

  const busy = await fetch(`${url}/v1/audio/transcriptions`, { method: 'POST', body: formOf(clips[0]) });
  t.equal(busy.status, 429, 'no place left');
  t.equal(busy.headers.get('retry-after'), '1', 'with Retry-After');
  const body = await busy.json();
  t.equal(body.error.code, 'rate_limit_exceeded');

  leaving.abort();
  let state;
  for (let i = 0; i < 600; i++) { // up to 30 s: a loaded machine notices the cancel late
    state = await health(url);
    if (state.admitted === 0) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  t.equal(state.admitted, 0, 'the cancelled request gave its place back');
  t.ok(state.encoder_batches < chunks, `it stopped before all its batches ran (${state.encoder_batches} of ${chunks})`);
  const next = await client.audio.transcriptions.create({ file: new File([clips[0].bytes], 'jfk.wav'), model: 'whisper-1' });
  assertWords(t, next.text, 'the next request is answered');
});

function formOf(clip) {
  const form = new FormData();
  form.set('file', new Blob([clip.bytes]), clip.name);
  form.set('model', 'whisper-1');
  return form;
}
