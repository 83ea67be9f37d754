// The batched pipeline's temperature fallback: its batches decode at the first temperature, and a
// chunk that fails the thresholds (too repetitive, too unlikely, not silence) is decoded again on
// its own at the next temperatures, as a window of the sequential pipeline is. faster-whisper's
// batched pipeline has none (a chunk stuck in a loop stays so); thresholds that every chunk fails
// show it running, and a one-temperature list or no thresholds show it not.
import t from 'tap';
import { WhisperModel, decodeAudio } from '../lib/index.js';
import { fixture, modelDir, assertWords } from './helpers.mjs';

const model = await WhisperModel.load(modelDir('tiny.en'), { cpuThreads: 2 });
t.teardown(() => model.dispose());
const [jfk] = await decodeAudio(fixture('jfk.flac'));
const batched = { batchSize: 8, vadFilter: true };

t.test('the default list is kept batched, and chunks that pass decode once, at 0', async (t) => {
  const r = await model.transcribe(jfk, batched);
  t.same(r.info.transcription_options.temperature, [0, 0.2, 0.4, 0.6, 0.8, 1], 'the fallback list');
  assertWords(t, r.segments.map((s) => s.text).join(''));
  t.ok(r.segments.every((s) => s.temperature === 0), 'every segment at temperature 0');
});

t.test('a chunk failing the thresholds at every temperature: the best of them, marked with the last', async (t) => {
  // Every decode is less likely than log probability 0 and speech (no_speech_prob under 1): every temperature fails.
  const r = await model.transcribe(jfk, { ...batched, logProbThreshold: 0, noSpeechThreshold: 1, temperature: [0, 0.5, 1] });
  t.ok(r.segments.length >= 1, 'segments');
  t.ok(r.segments.every((s) => s.temperature === 1), `every segment marked with the last temperature (${r.segments.map((s) => s.temperature)})`);
  t.ok(r.segments.every((s) => s.compression_ratio <= 2.4), 'the result kept is not repetitive');
});

t.test('no fallback with one temperature, or without thresholds', async (t) => {
  for (const [what, options] of [
    ['one temperature', { logProbThreshold: 0, noSpeechThreshold: 1, temperature: 0 }],
    ['no thresholds', { logProbThreshold: null, compressionRatioThreshold: null, temperature: [0, 0.5, 1] }],
  ]) {
    const r = await model.transcribe(jfk, { ...batched, ...options });
    assertWords(t, r.segments.map((s) => s.text).join(''), what);
    t.ok(r.segments.every((s) => s.temperature === 0), `${what}: decoded once, at 0`);
  }
});
