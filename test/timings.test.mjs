// Stage timings (CallOptions.onTimings) and the samples the engine reads in place.
import t from 'tap';
import { WhisperModel, decodeAudio } from '../lib/index.js';
import { fixture, modelDir, assertWords } from './helpers.mjs';

const STAGES = ['decode', 'vad', 'features', 'encode', 'language', 'generate', 'align', 'total'];

t.test('onTimings reports each stage of a call once, when it ends', async (t) => {
  const model = await WhisperModel.load(modelDir('base'), { device: 'cpu', cpuThreads: 2 });
  t.teardown(() => model.dispose());

  const calls = [];
  const r = await model.transcribe(fixture('jfk.flac'), { wordTimestamps: true, onTimings: (x) => calls.push(x) });
  t.equal(calls.length, 1, 'called once');
  const [seq] = calls;
  t.same(Object.keys(seq).sort(), [...STAGES].sort(), 'every stage named');
  for (const k of ['decode', 'features', 'encode', 'language', 'generate', 'align']) t.ok(seq[k] > 0, `${k} took time (${seq[k]})`);
  t.equal(seq.vad, 0, 'no VAD asked for');
  t.ok(seq.total >= seq.features + seq.encode + seq.language + seq.generate + seq.align - 1e-6, 'the native stages fit in the native total');
  assertWords(t, r.segments.map((s) => s.text).join(' '));

  const batched = [];
  await model.transcribe(fixture('jfk.flac'), { batchSize: 4, language: 'en', onTimings: (x) => batched.push(x) });
  t.equal(batched.length, 1);
  t.ok(batched[0].vad > 0 && batched[0].encode > 0 && batched[0].generate > 0, 'batched: VAD, encoder and decoder timed');
  t.equal(batched[0].language, 0, 'language given: no detection');

  const detect = [];
  await model.detectLanguage(fixture('jfk.flac'), { onTimings: (x) => detect.push(x) });
  t.ok(detect.length === 1 && detect[0].language > 0 && detect[0].generate === 0, 'language detection: the language head, no decoding');
});

t.test('the caller\'s samples are copied before the engine reads them on its thread', async (t) => {
  const model = await WhisperModel.load(modelDir('tiny.en'), { device: 'cpu', cpuThreads: 2 });
  t.teardown(() => model.dispose());
  const [audio] = await decodeAudio(fixture('jfk.flac'));
  const expected = (await model.transcribe(fixture('jfk.flac'))).segments.map((s) => s.text).join('');

  const mine = audio.slice();
  const pending = model.transcribe(mine);
  // The caller may reuse or hand away its array while the call runs.
  mine.fill(0);
  structuredClone(mine.buffer, { transfer: [mine.buffer] });
  t.equal(mine.length, 0, 'the caller\'s buffer is detached');
  const r = await pending;
  t.equal(r.segments.map((s) => s.text).join(''), expected, 'the transcript is the one of the samples given');
});
