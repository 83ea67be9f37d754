// Language detection with the multilingual base model.
import t from 'tap';
import { WhisperModel } from '../lib/index.js';
import { fixture, modelDir, words } from './helpers.mjs';

const model = await WhisperModel.load(modelDir('base'), { device: 'cpu', cpuThreads: 2 });
t.teardown(() => model.dispose());

t.test('supported languages', async (t) => {
  t.ok(model.isMultilingual);
  t.ok(model.supportedLanguages.length >= 99, `${model.supportedLanguages.length} languages`);
  for (const code of ['en', 'de', 'nl', 'fr', 'zh', 'yue']) t.ok(model.supportedLanguages.includes(code), code);
});

t.test('English fixtures are detected as English', async (t) => {
  for (const name of ['jfk.flac', 'gettysburg.wav', 'Arthur.mp3', 'NM014.mp3', 'stereo_diarization.wav']) {
    const d = await model.detectLanguage(fixture(name));
    t.equal(d.language, 'en', `${name}: ${d.language} (${d.language_probability.toFixed(3)})`);
    t.ok(d.language_probability > 0.5, `${name}: probability ${d.language_probability}`);
    t.equal(d.all_language_probs[0][0], d.language, 'best first');
    const sum = d.all_language_probs.reduce((a, [, p]) => a + p, 0);
    t.ok(Math.abs(sum - 1) < 0.02, `${name}: probabilities sum to ${sum.toFixed(3)}`);
  }
});

t.test('multilingual.mp3: English, then German', async (t) => {
  const d = await model.detectLanguage(fixture('multilingual.mp3'));
  t.equal(d.language, 'en', 'the first 30 s are English');

  const german = await model.transcribe(fixture('multilingual.mp3'), { clipTimestamps: [33] });
  t.equal(german.info.language, 'de', `from 33 s the language is ${german.info.language}`);

  const r = await model.transcribe(fixture('multilingual.mp3'), { multilingual: true, withoutTimestamps: true });
  t.equal(r.info.language, 'en');
  t.ok(r.segments.length >= 2, `${r.segments.length} segments`);
  const first = words(r.segments[0].text);
  t.match(first, /permission is hereby granted free of charge to any person obtaining a copy of/, 'segment 0 is the English licence grant');
  t.ok(r.segments[r.segments.length - 1].end > 45, 'the segments go on into the German half');
  // base, like faster-whisper on the same model, renders this German passage in English when
  // it decodes it after the English one; decoded from 33 s on its own it comes out German.
  t.match(words(german.segments.map((s) => s.text).join(' ')), /\b(der|die|und|dieses|zu|software)\b/, 'German words from 33 s');
});

t.test('a given language skips detection', async (t) => {
  const r = await model.transcribe(fixture('jfk.flac'), { language: 'en' });
  t.equal(r.info.language, 'en');
  t.equal(r.info.language_probability, 1);
  t.equal(r.info.all_language_probs, null);
});

t.test('an English-only model reports English', async (t) => {
  const en = await WhisperModel.load(modelDir('tiny.en'), { device: 'cpu', cpuThreads: 2 });
  t.teardown(() => en.dispose());
  t.same(en.supportedLanguages, ['en']);
  const d = await en.detectLanguage(fixture('multilingual.mp3'));
  t.same([d.language, d.language_probability], ['en', 1]);
  const r = await en.transcribe(fixture('jfk.flac'), { language: 'de' });
  t.equal(r.info.language, 'en', 'a known language on an English-only model falls back to English');
});

t.test('empty audio: detection does not fail', async (t) => {
  const d = await model.detectLanguage(new Float32Array(0));
  t.type(d.language, 'string');
  const r = await model.transcribe(new Float32Array(0));
  t.same(r.segments, []);
});
