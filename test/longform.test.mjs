// Long recordings: segments cover the speech, in order, and end by the duration.
import t from 'tap';
import { WhisperModel } from '../lib/index.js';
import { fixture, modelDir, checkMonotonic } from './helpers.mjs';

const model = await WhisperModel.load(modelDir('tiny.en'), { device: 'cpu', cpuThreads: 2 });
t.teardown(() => model.dispose());

for (const [name, minutes] of [['Arthur.mp3', 3.8], ['NM014.mp3', 2.5]]) {
  t.test(name, async (t) => {
    const r = await model.transcribe(fixture(name), { wordTimestamps: true });
    t.ok(Math.abs(r.info.duration - minutes * 60) < 1, `duration ${r.info.duration}`);
    checkMonotonic(t, r, r.info.duration, 0.5);
    const segs = r.segments;
    t.ok(segs.length >= 20, `${segs.length} segments`);
    t.same(segs.map((s) => s.id), segs.map((_, i) => i + 1), 'ids count up from 1');
    t.ok(segs[0].start < 5, `speech starts early (${segs[0].start})`);
    t.ok(segs[segs.length - 1].end > r.info.duration - 15, `speech runs to near the end (${segs[segs.length - 1].end} of ${r.info.duration})`);
    // No stretch of the recording is left out: gaps between segments stay short.
    const gaps = segs.slice(1).map((s, i) => s.start - segs[i].end);
    t.ok(Math.max(...gaps) < 10, `largest gap between segments ${Math.max(...gaps).toFixed(2)} s`);
    const covered = segs.reduce((a, s) => a + (s.end - s.start), 0);
    t.ok(covered / r.info.duration > 0.75, `segments cover ${((100 * covered) / r.info.duration).toFixed(0)}% of the audio`);
    const wordCount = segs.reduce((a, s) => a + s.words.length, 0);
    t.ok(wordCount / (r.info.duration / 60) > 80, `${wordCount} words: a speaking rate, not a hallucination loop`);
    const seeks = segs.map((s) => s.seek);
    t.ok(seeks.every((s, i) => i === 0 || s >= seeks[i - 1]), 'seek never goes back');
    t.ok(new Set(seeks).size > 5, 'decoded over several windows');
  });
}
