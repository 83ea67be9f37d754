// The batched pipeline with a caller that takes segments as they come (onSegment): its batches
// grow 1, 2, 4, ..., so segments come batch by batch, and recordings of one transcribeTogether
// call take turns; the segments are what the call returns. And tokenLogprobs in the library.
import t from 'tap';
import { WhisperModel, decodeAudio } from '../lib/index.js';
import { fixture, modelDir, assertWords } from './helpers.mjs';

const model = await WhisperModel.load(modelDir('tiny.en'), { cpuThreads: 2 });
t.teardown(() => model.dispose());
const [nm014] = await decodeAudio(fixture('NM014.mp3'));
const [jfk] = await decodeAudio(fixture('jfk.flac'));

t.test('two streamed recordings in one call take turns', async (t) => {
  const t0 = performance.now();
  const seen = [[], []];
  const options = (i) => ({ language: 'en', vadFilter: true, onSegment: (s) => seen[i].push({ at: performance.now() - t0, s }) });
  const [a, b] = await model.transcribeTogether([{ audio: nm014, options: options(0) }, { audio: nm014.slice(), options: options(1) }], 8);
  for (const [i, r] of [a, b].entries()) {
    t.ok(!(r instanceof Error), `request ${i} transcribed`);
    t.same(seen[i].map((x) => x.s.text), r.segments.map((s) => s.text), `request ${i}: the streamed segments are the result's, in order`);
    t.ok(seen[i].length >= 3, `request ${i}: ${seen[i].length} segments`);
  }
  const bFirst = seen[1][0].at;
  const aLast = seen[0].at(-1).at;
  t.ok(bFirst < aLast - 200, `the second recording's first segment (${Math.round(bFirst)} ms) comes before the first one's last (${Math.round(aLast)} ms)`);
  t.ok(seen[0][0].at < aLast - 200, 'and the first recording\'s segments come over time, not all at the end');
});

t.test('tokenLogprobs: the tokens of each segment, only when asked for', async (t) => {
  for (const [what, options] of [['batched', { batchSize: 8, vadFilter: true }], ['sequential', {}], ['sequential, word timestamps', { wordTimestamps: true }]]) {
    const r = await model.transcribe(jfk, { ...options, tokenLogprobs: true });
    assertWords(t, r.segments.map((s) => s.text).join(''), what);
    for (const s of r.segments) {
      t.equal(Buffer.from(s.token_logprobs.flatMap((l) => l.bytes)).toString('utf8'), s.text, `${what}: the tokens' bytes are the segment's text`);
      t.ok(s.token_logprobs.every((l) => Number.isFinite(l.logprob) && l.logprob <= 0 && l.token === Buffer.from(l.bytes).toString('utf8')), `${what}: log probabilities, tokens as their bytes read`);
    }
    const plain = await model.transcribe(jfk, options);
    t.notOk(plain.segments.some((s) => 'token_logprobs' in s), `${what}: absent unless asked for`);
  }
});
