// Silero VAD and the batched pipeline, against faster-whisper's own results
// (test/data/vad-reference.json, written by test/data/make-vad-reference.py).
import t from 'tap';
import fs from 'node:fs';
import path from 'node:path';
import { WhisperModel, decodeAudio, getSpeechTimestamps, speechChunks, SAMPLE_RATE } from '../lib/index.js';
import { root, fixture, modelDir, assertWords, words, checkMonotonic, JFK_WORDS, tmpDir } from './helpers.mjs';

const ref = JSON.parse(fs.readFileSync(path.join(root, 'test', 'data', 'vad-reference.json'), 'utf8'));
const camel = (o) => Object.fromEntries(Object.entries(o).map(([k, v]) => [k.replace(/_([a-z])/g, (_, c) => c.toUpperCase()), v]));

t.test('speech timestamps match faster-whisper', async (t) => {
  for (const [name, { params, speech }] of Object.entries(ref)) {
    const [audio] = await decodeAudio(fixture(name), { decoder: 'ffmpeg' });
    const ours = await getSpeechTimestamps(audio, camel(params));
    t.equal(ours.length, speech.length, `${name}: ${ours.length} speech chunks`);
    const worst = Math.max(0, ...speech.map((s, i) => Math.max(Math.abs(s.start - (ours[i]?.start ?? Infinity)), Math.abs(s.end - (ours[i]?.end ?? Infinity)))));
    t.ok(worst <= 1024, `${name}: boundaries within two windows (largest difference ${worst} samples)`);
  }
});

t.test('sequential decoding with the VAD filter', async (t) => {
  // float32: the segment count and boundaries are asserted, and only float32 gives the same ones
  // on every CPU (int8 splits JFK differently on AVX2 and AVX-512 machines).
  const exact = await WhisperModel.load(modelDir('tiny.en'), { device: 'cpu', computeType: 'float32', cpuThreads: 2 });
  t.teardown(() => exact.dispose());
  const r = await exact.transcribe(fixture('jfk.flac'), { vadFilter: true, vadParameters: { minSilenceDurationMs: 500, speechPadMs: 200 } });
  t.equal(r.segments.length, 1, 'one segment');
  t.ok(r.segments[0].start > 0 && r.segments[0].start < 1, `starts at ${r.segments[0].start}`);
  t.ok(r.segments[0].end > 10 && r.segments[0].end < 11, `ends at ${r.segments[0].end}`);
  t.equal(words(r.segments[0].text), JFK_WORDS);
  t.ok(r.info.duration_after_vad < r.info.duration, 'some silence was removed');
  const model = await WhisperModel.load(modelDir('tiny.en'), { device: 'cpu', cpuThreads: 2 });
  t.teardown(() => model.dispose());
  const timed = await model.transcribe(fixture('NM014.mp3'), { vadFilter: true, wordTimestamps: true });
  checkMonotonic(t, timed, timed.info.duration, 0.5);
});

t.test('batched pipeline', async (t) => {
  const model = await WhisperModel.load(modelDir('tiny.en'), { device: 'cpu', cpuThreads: 2 });
  t.teardown(() => model.dispose());
  const one = await model.transcribe(fixture('jfk.flac'), { batchSize: 4 });
  assertWords(t, one.segments.map((s) => s.text).join(''));
  t.ok(one.segments.every((s) => s.words.length > 0), 'words by default (the segments are cut by them)');
  const wordless = await model.transcribe(fixture('jfk.flac'), { batchSize: 4, wordTimestamps: false });
  t.equal(wordless.segments.length, 1, "without words: faster-whisper's one segment per chunk");
  t.equal(wordless.segments[0].words, null);

  const [jfk] = await decodeAudio(fixture('jfk.flac'));
  const twice = new Float32Array(jfk.length * 2);
  twice.set(jfk);
  twice.set(jfk, jfk.length);
  const clipped = await model.transcribe(twice, { batchSize: 2, clipTimestamps: [0, 11, 11, 22], wordTimestamps: false });
  t.same(clipped.segments.map((s) => [s.start, s.end]), [[0, 11], [11, 22]], 'without words, segments equal the clips (faster-whisper\'s)');
  t.equal(clipped.segments.length, 2);
  for (const s of clipped.segments) assertWords(t, s.text, `clip ${s.start}-${s.end} s`);
  const timed = await model.transcribe(twice, { batchSize: 2, clipTimestamps: [0, 11, 11, 22] });
  for (const [i, [a, b]] of [[0, 11], [11, 22]].entries()) {
    const inside = timed.segments.filter((s) => s.start >= a && s.end <= b);
    t.ok(inside.length > 0 && inside.every((s) => s.words.length), `clip ${i + 1}: segments with words inside it`);
    assertWords(t, inside.map((s) => s.text).join(''), `clip ${i + 1}`);
  }

  const long = await model.transcribe(fixture('Arthur.mp3'), { batchSize: 8, wordTimestamps: true });
  checkMonotonic(t, long, long.info.duration, 0.5, 0.1);
  t.ok(long.segments.length >= 5, `${long.segments.length} segments`);
  t.ok(long.info.duration_after_vad <= long.info.duration, 'duration after VAD');
  const covered = long.segments.reduce((a, s) => a + s.end - s.start, 0);
  t.ok(covered > 0.7 * long.info.duration_after_vad, `segments cover ${covered.toFixed(0)} s of ${long.info.duration_after_vad.toFixed(0)} s of speech`);
  for (const s of long.segments) t.ok(s.words.length > 0, `segment ${s.id} has words`);
  t.ok(long.segments.every((s) => long.info.transcription_options.temperature.includes(s.temperature)), 'each segment at a temperature of the fallback list');

  const base = await WhisperModel.load(modelDir('base'), { device: 'cpu', cpuThreads: 2 });
  t.teardown(() => base.dispose());
  const detected = await base.transcribe(fixture('multilingual.mp3'), { batchSize: 4 });
  t.equal(detected.info.language, 'en', 'language detected over the speech chunks');
  t.match(words(detected.segments[0].text), /permission is hereby granted/);

  const silent = await model.transcribe(new Float32Array(16000 * 2), { batchSize: 4 });
  t.same(silent.segments, [], 'no speech: no segments');
  t.equal(silent.info.duration_after_vad, 0);
  await t.rejects(model.transcribe(fixture('jfk.flac'), { batchSize: 0 }), /batchSize must be an integer/);
  await t.rejects(model.transcribe(fixture('Arthur.mp3'), { batchSize: 4, vadFilter: false }), /needs speech chunks/);
});

t.test('speech chunks: at most maxDuration seconds, and (batched) no join across more than maxGap seconds', async (t) => {
  const audio = new Float32Array(60 * SAMPLE_RATE);
  const at = (a, b) => ({ start: a * SAMPLE_RATE, end: b * SAMPLE_RATE });
  // Stretches of 4 s: 1 s apart, then 5 s apart, then 1 s apart again.
  const stretches = [at(0, 4), at(5, 9), at(14, 18), at(19, 23)];
  const seconds = (chunks) => chunks.map((c) => c.parts.reduce((n, p) => n + p.length, 0) / SAMPLE_RATE);
  t.same(seconds(speechChunks(audio, stretches, 30)), [16], "faster-whisper's: joined up to 30 s, whatever the pauses");
  t.same(seconds(speechChunks(audio, stretches, 10)), [8, 8], 'at most maxDuration');
  t.same(seconds(speechChunks(audio, stretches, 30, 2)), [8, 8], 'a pause of more than maxGap starts a new chunk');
  t.same(speechChunks(audio, stretches, 30, 2).map((c) => c.offset), [0, 8], 'offsets in the speech-only audio');
  t.same(seconds(speechChunks(audio, stretches, 30, 5)), [16], 'a pause of exactly maxGap does not');
});

t.test('a missing VAD model is named', async (t) => {
  const model = await WhisperModel.load(modelDir('tiny.en'), { device: 'cpu', cpuThreads: 1 });
  t.teardown(() => model.dispose());
  const dir = tmpDir(t);
  await t.rejects(model.transcribe(fixture('jfk.flac'), { vadFilter: true, vadModelPath: path.join(dir, 'none.onnx') }), /VAD model was not found/);
});
