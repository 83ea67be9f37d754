// Values that pass a type check and then hurt: every numeric option is bounded, lists are
// bounded by count, threads by cores, and a call can be given a time limit.
import t from 'tap';
import os from 'node:os';
import { fixture, modelDir, assertWords } from './helpers.mjs';
import { WhisperModel } from '../lib/index.js';
import { parseJobInput } from '../lib/worker/schema.js';

const model = await WhisperModel.load(modelDir('tiny.en'), { device: 'cpu', cpuThreads: 2 });
t.teardown(() => model.dispose());
const jfk = fixture('jfk.flac');

t.test('numbers that would make the engine allocate or loop are refused at once', async (t) => {
  const cases = [
    [{ beamSize: 1e9 }, /beamSize must be an integer of at least 1 and at most 10, got 1000000000/],
    [{ bestOf: 11 }, /bestOf must be an integer of at least 1 and at most 10/],
    [{ noRepeatNgramSize: 1e6 }, /noRepeatNgramSize must be an integer of at least 0 and at most 20/],
    [{ maxNewTokens: 1e9 }, /maxNewTokens must be an integer of at least 1 and at most 448/],
    [{ languageDetectionSegments: 1e6 }, /languageDetectionSegments must be an integer of at least 1 and at most 100/],
    [{ compressionRatioThreshold: Infinity }, /compressionRatioThreshold must be a number/],
    [{ logProbThreshold: Number.NaN }, /logProbThreshold must be a number/],
    [{ temperature: Array.from({ length: 1000 }, (_, i) => i / 1000) }, /temperature may list at most 21 values, got 1000/],
    [{ temperature: 1e300 }, /temperature must be at most 2/],
    [{ initialPrompt: 'word '.repeat(5000) }, /initialPrompt is 25000 characters; at most 10000/],
    [{ prefix: 'x'.repeat(10_001) }, /prefix is 10001 characters/],
    [{ hotwords: 42 }, /hotwords must be a string/],
    [{ suppressTokens: Array.from({ length: 20_000 }, () => 1) }, /suppressTokens may list at most 10000 values/],
    [{ batchSize: 1e6 }, /batchSize must be an integer of at least 1 and at most 1024/],
  ];
  for (const [options, message] of cases) {
    const started = Date.now();
    await t.rejects(model.transcribe(jfk, options), { name: 'InputError', message }, JSON.stringify(options).slice(0, 60));
    t.ok(Date.now() - started < 2000, 'refused within 2 s');
  }
  const r = await model.transcribe(jfk, { beamSize: 10, bestOf: 10 });
  assertWords(t, r.segments.map((s) => s.text).join(' '), 'the bounds themselves are accepted');
});

t.test('thread and replica counts are bounded by the machine', async (t) => {
  const max = os.availableParallelism() * 4;
  await t.rejects(WhisperModel.load(modelDir('tiny.en'), { cpuThreads: 100_000 }), { name: 'InputError', message: new RegExp(`cpuThreads must be an integer from 0 to ${max}`) });
  await t.rejects(WhisperModel.load(modelDir('tiny.en'), { numWorkers: 1e6 }), /numWorkers must be an integer from 1 to 32/);
  await t.rejects(WhisperModel.load(modelDir('tiny.en'), { deviceIndex: -1 }), /deviceIndex must be an integer from 0/);
  const m = await WhisperModel.load(modelDir('tiny.en'), { device: 'cpu', cpuThreads: max });
  m.dispose();
});

t.test('timeoutMs stops a call with a clear error, and the model goes on', async (t) => {
  const started = Date.now();
  await t.rejects(model.transcribe(fixture('Arthur.mp3'), { timeoutMs: 1500 }), {
    name: 'TimeoutError',
    message: /the transcription ran past its time limit of 1\.5 s \(timeoutMs\) and was stopped/,
  });
  const took = Date.now() - started;
  // 6.2 s measured on one loaded core (taskset -c 0, load 13): room for a machine twice as slow.
  t.ok(took < 1500 + 15_000, `stopped within seconds of the limit (${took} ms), not after the whole recording`);
  await t.rejects(model.detectLanguage(fixture('Arthur.mp3'), { timeoutMs: 1, languageDetectionSegments: 4 }), { name: 'TimeoutError' });
  await t.rejects(model.transcribe(jfk, { timeoutMs: -5 }), /timeoutMs must be a positive number/);
  await t.rejects(model.transcribe(jfk, { timeoutMs: 'soon' }), /timeoutMs must be a positive number/);
  const ok = await model.transcribe(jfk, { timeoutMs: 60_000 });
  assertWords(t, ok.segments.map((s) => s.text).join(' '), 'a call within its limit is unaffected');
  // An outer signal still aborts as before when a time limit is also set.
  const controller = new AbortController();
  setTimeout(() => controller.abort(), 300);
  await t.rejects(model.transcribe(fixture('Arthur.mp3'), { signal: controller.signal, timeoutMs: 60_000 }), { name: 'AbortError' });
});

t.test('job fields: a fallback increment cannot build an endless list', async (t) => {
  t.throws(() => parseJobInput({ audio: 'https://example.com/a.mp3', temperature_increment_on_fallback: 5e-324 }), /temperature_increment_on_fallback: must be a number of at least 0\.05 and at most 1/);
  t.throws(() => parseJobInput({ audio: 'https://example.com/a.mp3', log_prob_threshold: -1e308 }), /log_prob_threshold/);
  t.throws(() => parseJobInput({ audio: 'https://example.com/a.mp3', vad_parameters: { speech_pad_ms: 1e12 } }), /vad_parameters\.speech_pad_ms/);
  t.ok(parseJobInput({ audio: 'https://example.com/a.mp3', temperature_increment_on_fallback: 0.05 }), '0.05 is fine');
});
