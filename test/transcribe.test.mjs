// Transcription of real recordings with the real tiny.en and base models (int8, CPU).
import t from 'tap';
import { WhisperModel } from '../lib/index.js';
import { fixture, modelDir, assertWords, words, checkMonotonic } from './helpers.mjs';

for (const name of ['tiny.en', 'base']) {
  t.test(`jfk.flac with ${name}`, async (t) => {
    const model = await WhisperModel.load(modelDir(name), { device: 'cpu', computeType: 'int8', cpuThreads: 2 });
    t.teardown(() => model.dispose());
    t.equal(model.device, 'cpu');
    t.equal(model.computeType, 'int8');
    t.equal(model.isMultilingual, name === 'base');

    const plain = await model.transcribe(fixture('jfk.flac'));
    assertWords(t, plain.segments.map((s) => s.text).join(' '), 'the words of the speech');
    t.equal(plain.info.language, 'en');
    t.equal(plain.info.duration, 11);
    if (name === 'base') t.ok(plain.info.language_probability > 0.9, `language probability ${plain.info.language_probability} > 0.9`);
    checkMonotonic(t, plain, plain.info.duration);
    for (const s of plain.segments) {
      t.equal(s.words, null, 'no words unless asked');
      for (const k of ['id', 'seek', 'start', 'end', 'text', 'tokens', 'temperature', 'avg_logprob', 'compression_ratio', 'no_speech_prob']) {
        t.ok(k in s, `segment has ${k}`);
      }
      t.ok(s.avg_logprob < 0 && s.avg_logprob > -1, 'avg_logprob in (-1, 0)');
      t.ok(s.compression_ratio > 0 && s.compression_ratio < 2.4, 'compression ratio under the threshold');
    }

    const timed = await model.transcribe(fixture('jfk.flac'), { wordTimestamps: true });
    checkMonotonic(t, timed, timed.info.duration);
    for (const s of timed.segments) {
      t.ok(s.words.length > 0, 'segment has words');
      t.equal(s.words.map((w) => w.word).join(''), s.text, 'words joined equal the segment text');
      t.equal(s.start, s.words[0].start, 'segment starts at its first word');
      t.equal(s.end, s.words[s.words.length - 1].end, 'segment ends at its last word');
      for (const w of s.words) t.ok(w.probability > 0 && w.probability <= 1, `probability of ${w.word}`);
    }
    assertWords(t, timed.segments.map((s) => s.text).join(' '));
    const first = timed.segments[0].words[0];
    t.ok(first.start < 1, 'the first word starts within the first second');
  });
}

t.test('decoding options take effect', async (t) => {
  const model = await WhisperModel.load(modelDir('tiny.en'), { device: 'cpu', cpuThreads: 2 });
  t.teardown(() => model.dispose());

  const greedy = await model.transcribe(fixture('jfk.flac'), { beamSize: 1, temperature: 0 });
  assertWords(t, greedy.segments.map((s) => s.text).join(' '), 'greedy decoding');
  t.same(greedy.info.transcription_options.temperature, [0], 'one temperature recorded');

  const noTs = await model.transcribe(fixture('jfk.flac'), { withoutTimestamps: true });
  t.equal(noTs.segments.length, 1, 'without timestamps: one segment for the window');
  t.equal(noTs.segments[0].start, 0);
  t.equal(noTs.segments[0].end, 11);
  t.notOk(noTs.segments[0].tokens.some((id) => id >= 50363), 'no timestamp tokens');

  const prefixed = await model.transcribe(fixture('jfk.flac'), { prefix: 'And so my fellow Americans' });
  t.match(prefixed.segments[0].text, /^ And so my fellow Americans/, 'text starts with the prefix');
  t.equal(prefixed.segments[0].start, 0);

  const clipped = await model.transcribe(fixture('jfk.flac'), { clipTimestamps: '0,5' });
  t.ok(clipped.segments.length >= 1 && clipped.segments.every((s) => s.end <= 5.0001), 'clip 0-5 s stays in the clip');
  t.ok(words(clipped.segments.map((s) => s.text).join(' ')).startsWith('and so my fellow americans'), 'clip holds the opening words');

  const prompted = await model.transcribe(fixture('hotwords.mp3'), { hotwords: 'ComfyUI' });
  // Without them tiny.en hears "comfy eye"; int8 writes "ComfyUI", or "comfyUI" with CTranslate2's
  // AVX-512 kernels (CT2_FORCE_CPU_ISA=AVX512), so the case is not asserted.
  t.match(prompted.segments.map((s) => s.text).join(' '), /ComfyUI/i, 'hotwords steer the spelling');

  // float32: whether the last second ("country.") makes a segment of its own window depends on
  // int8's rounding (MKL's AVX2 int8 path drops it); in float32 it does on every CPU.
  const exact = await WhisperModel.load(modelDir('tiny.en'), { device: 'cpu', computeType: 'float32', cpuThreads: 2 });
  t.teardown(() => exact.dispose());
  const chunked = await exact.transcribe(fixture('jfk.flac'), { chunkLength: 10 });
  t.ok(chunked.segments.length >= 1, 'chunkLength 10 transcribes');
  checkMonotonic(t, chunked); // faster-whisper too ends this one at 12 s, past the 11 s of audio
  t.ok(chunked.segments.some((s) => s.seek > 0), 'a 10 s window leaves a second window');

  // faster-whisper itself writes " You" over digital silence; what matters is that the model says so.
  const silence = await model.transcribe(new Float32Array(16000 * 3));
  t.ok(silence.segments.every((s) => s.no_speech_prob > 0.6), 'silence: any segment is flagged as likely no speech');

  const empty = await model.transcribe(new Float32Array(0));
  t.same(empty.segments, [], 'zero samples: no segments');
  t.equal(empty.info.duration, 0);
});

t.test('hallucination silence threshold and initial prompt run on long audio', async (t) => {
  const model = await WhisperModel.load(modelDir('tiny.en'), { device: 'cpu', cpuThreads: 2 });
  t.teardown(() => model.dispose());
  const r = await model.transcribe(fixture('gettysburg.wav'), {
    wordTimestamps: true,
    hallucinationSilenceThreshold: 1,
    initialPrompt: 'Abraham Lincoln, the Gettysburg Address.',
  });
  checkMonotonic(t, r, r.info.duration);
  t.match(words(r.segments.map((s) => s.text).join(' ')), /four score and seven years ago/);
});
