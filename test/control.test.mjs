// Work runs off the JS thread: abort, progress, and concurrent calls on one or two models.
import t from 'tap';
import { WhisperModel } from '../lib/index.js';
import { fixture, modelDir, assertWords, words } from './helpers.mjs';

const model = await WhisperModel.load(modelDir('tiny.en'), { device: 'cpu', cpuThreads: 1, numWorkers: 2 });
t.teardown(() => model.dispose());

t.test('progress is reported and the JS thread stays free', async (t) => {
  const seen = [];
  let ticks = 0;
  const timer = setInterval(() => ticks++, 20);
  const r = await model.transcribe(fixture('NM014.mp3'), { onProgress: (done, total) => seen.push([done, total]) });
  clearInterval(timer);
  t.ok(seen.length >= 3, `${seen.length} progress reports`);
  t.ok(seen.every(([d, tot], i) => d <= tot + 1e-9 && (i === 0 || d >= seen[i - 1][0])), 'non-decreasing, within the total');
  t.equal(seen[seen.length - 1][0], seen[seen.length - 1][1], 'ends at the total');
  t.ok(Math.abs(seen[0][1] - r.info.duration) < 0.01, 'total is the duration');
  t.ok(ticks > 20, `the event loop ran ${ticks} timer ticks during the call`);
});

t.test('abort stops a long transcription', async (t) => {
  const ac = new AbortController();
  let abortedAt;
  const p = model.transcribe(fixture('Arthur.mp3'), {
    signal: ac.signal,
    onProgress: (done) => {
      if (done > 0 && !ac.signal.aborted) {
        abortedAt = Date.now();
        ac.abort();
      }
    },
  });
  await t.rejects(p, { name: 'AbortError' });
  // From the abort, not from the start (the first window alone took 18 s on one loaded core):
  // at most the step in hand finishes, with room for a machine twice as slow and loaded.
  t.ok(Date.now() - abortedAt < 20_000, `stopped ${Date.now() - abortedAt} ms after the abort`);
  const pre = new AbortController();
  pre.abort(new Error('cancelled by the caller'));
  await t.rejects(model.transcribe(fixture('jfk.flac'), { signal: pre.signal }), /cancelled by the caller/, 'an aborted signal rejects with its reason');
  const after = await model.transcribe(fixture('jfk.flac'));
  assertWords(t, after.segments.map((s) => s.text).join(' '), 'the model works after an abort');
});

t.test('concurrent calls on one model and on two models', async (t) => {
  const alone = await model.transcribe(fixture('jfk.flac'), { beamSize: 1 });
  const other = await WhisperModel.load(modelDir('base'), { device: 'cpu', cpuThreads: 1 });
  t.teardown(() => other.dispose());
  const [a, b, c] = await Promise.all([
    model.transcribe(fixture('jfk.flac'), { beamSize: 1 }),
    model.transcribe(fixture('gettysburg.wav'), { beamSize: 1 }),
    other.transcribe(fixture('jfk.flac'), { beamSize: 1, wordTimestamps: true }),
  ]);
  t.same(a.segments.map((s) => s.text), alone.segments.map((s) => s.text), 'same result as alone');
  t.match(words(b.segments.map((s) => s.text).join(' ')), /four score and seven years ago/);
  assertWords(t, c.segments.map((s) => s.text).join(' '));
  const d = await Promise.all([other.detectLanguage(fixture('jfk.flac')), other.detectLanguage(fixture('gettysburg.wav'))]);
  t.same(d.map((x) => x.language), ['en', 'en']);
});
