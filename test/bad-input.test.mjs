// Bad input gets a clear error, never a crash or a hang; the process carries on.
import t from 'tap';
import fs from 'node:fs';
import path from 'node:path';
import { WhisperModel, InputError, decodeAudio } from '../lib/index.js';
import { fixture, modelDir, tmpDir, words } from './helpers.mjs';

const model = await WhisperModel.load(modelDir('tiny.en'), { device: 'cpu', cpuThreads: 2 });
t.teardown(() => model.dispose());

t.test('model directories', async (t) => {
  const dir = tmpDir(t);
  await t.rejects(WhisperModel.load(path.join(dir, 'nope')), /model directory not found/, 'missing dir');
  await t.rejects(WhisperModel.load(dir), /not a CTranslate2 Whisper model: model\.bin is missing/, 'empty dir');
  const corrupt = path.join(dir, 'corrupt');
  fs.mkdirSync(corrupt);
  for (const f of ['config.json', 'tokenizer.json', 'vocabulary.txt']) fs.copyFileSync(path.join(modelDir('tiny.en'), f), path.join(corrupt, f));
  fs.writeFileSync(path.join(corrupt, 'model.bin'), Buffer.alloc(4096, 7));
  await t.rejects(WhisperModel.load(corrupt), /cannot load the model/, 'garbage model.bin');
  const truncated = path.join(dir, 'truncated');
  fs.mkdirSync(truncated);
  for (const f of ['config.json', 'tokenizer.json', 'vocabulary.txt']) fs.copyFileSync(path.join(modelDir('tiny.en'), f), path.join(truncated, f));
  const fd = fs.openSync(path.join(modelDir('tiny.en'), 'model.bin'), 'r');
  const head = Buffer.alloc(1 << 20);
  fs.readSync(fd, head, 0, head.length, 0);
  fs.closeSync(fd);
  fs.writeFileSync(path.join(truncated, 'model.bin'), head);
  await t.rejects(WhisperModel.load(truncated), /cannot load the model/, 'truncated model.bin');
  const noTokenizer = path.join(dir, 'no-tokenizer');
  fs.mkdirSync(noTokenizer);
  for (const f of ['config.json', 'vocabulary.txt']) fs.copyFileSync(path.join(modelDir('tiny.en'), f), path.join(noTokenizer, f));
  fs.symlinkSync(path.join(modelDir('tiny.en'), 'model.bin'), path.join(noTokenizer, 'model.bin'));
  await t.rejects(WhisperModel.load(noTokenizer), /no tokenizer\.json/, 'no tokenizer.json');
  await t.rejects(WhisperModel.load(modelDir('tiny.en'), { device: 'tpu' }), /device must be auto, cpu or cuda/);
  await t.rejects(WhisperModel.load(modelDir('tiny.en'), { computeType: 'int3' }), /unknown compute type/);
  await t.rejects(WhisperModel.load(modelDir('tiny.en'), { device: 'cuda' }), /device "cuda" was asked for, but no CUDA device is visible/, 'cuda without a GPU');
});

t.test('audio inputs', async (t) => {
  const dir = tmpDir(t);
  await t.rejects(model.transcribe(path.join(dir, 'missing.wav')), { name: 'InputError', message: /audio file not found/ });
  const empty = path.join(dir, 'empty.mp3');
  fs.writeFileSync(empty, '');
  await t.rejects(model.transcribe(empty), /audio is empty \(0 bytes\)/);
  await t.rejects(model.transcribe(Buffer.alloc(0)), /audio is empty/);
  const text = path.join(dir, 'notes.txt');
  fs.writeFileSync(text, 'this is not audio at all\n'.repeat(100));
  await t.rejects(model.transcribe(text), /is not audio that can be decoded/, 'a text file');
  await t.rejects(model.transcribe(Buffer.from('%PDF-1.4 not audio'.repeat(50))), /not audio that can be decoded/, 'bytes that are not audio');
  await t.rejects(model.transcribe(dir), /is a directory/);
  await t.rejects(model.transcribe(42), /audio must be a file path/);
  await t.rejects(model.transcribe(new Float32Array(10), { splitChannels: true }), /splitChannels needs an encoded file/);
  const fakeMp3 = path.join(dir, 'fake.mp3');
  fs.writeFileSync(fakeMp3, Buffer.concat([Buffer.from([0xff, 0xfb, 0x90, 0x00]), Buffer.alloc(2000, 0x55)]));
  await t.rejects(model.transcribe(fakeMp3), InputError, 'an MP3 header on garbage');
});

t.test('truncated files transcribe what they hold', async (t) => {
  const dir = tmpDir(t);
  const full = fs.readFileSync(fixture('multilingual.mp3'));
  const cut = path.join(dir, 'cut.mp3');
  fs.writeFileSync(cut, full.subarray(0, Math.floor(full.length * 0.3)));
  const r = await model.transcribe(cut, { language: 'en' });
  t.ok(r.info.duration > 15 && r.info.duration < 22, `about 30% of 60 s: ${r.info.duration}`);
  t.match(words(r.segments.map((s) => s.text).join(' ')), /permission is hereby granted/);
  const wav = fs.readFileSync(fixture('gettysburg.wav'));
  const cutWav = path.join(dir, 'cut.wav');
  fs.writeFileSync(cutWav, wav.subarray(0, Math.floor(wav.length / 2) + 1)); // mid-sample, header says more
  const w = await model.transcribe(cutWav);
  t.ok(w.info.duration > 4 && w.info.duration < 6, `half of 10 s: ${w.info.duration}`);
  t.match(words(w.segments.map((s) => s.text).join(' ')), /four score/);
});

t.test('zero-length audio in a valid container gives zero segments', async (t) => {
  const dir = tmpDir(t);
  const header = Buffer.alloc(44);
  header.write('RIFF', 0); header.writeUInt32LE(36, 4); header.write('WAVE', 8);
  header.write('fmt ', 12); header.writeUInt32LE(16, 16); header.writeUInt16LE(1, 20); header.writeUInt16LE(1, 22);
  header.writeUInt32LE(16000, 24); header.writeUInt32LE(32000, 28); header.writeUInt16LE(2, 32); header.writeUInt16LE(16, 34);
  header.write('data', 36); header.writeUInt32LE(0, 40);
  const file = path.join(dir, 'zero.wav');
  fs.writeFileSync(file, header);
  const [samples] = await decodeAudio(file);
  t.equal(samples.length, 0);
  const r = await model.transcribe(file);
  t.same(r.segments, []);
  t.equal(r.info.duration, 0);
});

t.test('options out of range', async (t) => {
  const audio = fixture('jfk.flac');
  await t.rejects(model.transcribe(audio, { beamSize: 0 }), { name: 'InputError', message: /beamSize must be an integer of at least 1/ });
  await t.rejects(model.transcribe(audio, { temperature: -0.5 }), /temperature must be 0 or more/);
  await t.rejects(model.transcribe(audio, { temperature: [0, -1] }), /temperature must be 0 or more/);
  await t.rejects(model.transcribe(audio, { temperature: [] }), /temperature must hold at least one value/);
  await t.rejects(model.transcribe(audio, { language: 'xx' }), { name: 'InputError', message: /unknown language code "xx"/ });
  await t.rejects(model.transcribe(audio, { language: 'klingon' }), /unknown language code/);
  await t.rejects(model.transcribe(audio, { task: 'summarize' }), /task must be "transcribe" or "translate"/);
  await t.rejects(model.transcribe(audio, { patience: 0 }), /patience must be a number above 0 and at most 10, got 0/);
  await t.rejects(model.transcribe(audio, { chunkLength: 45 }), /chunkLength must be an integer of at least 1 and at most 30, got 45/);
  await t.rejects(model.transcribe(audio, { clipTimestamps: '5,x' }), /clipTimestamps: "x" is not a number/);
  await t.rejects(model.transcribe(audio, { clipTimestamps: [5, 2] }), /increasing order/);
  await t.rejects(model.transcribe(audio, { maxNewTokens: 440, initialPrompt: 'a b c d e f g h i j' }), /more than the model's limit/);
  await t.rejects(model.transcribe(audio, { bestOf: 1.5 }), /bestOf must be an integer/);
  await t.rejects(model.detectLanguage(audio, { languageDetectionSegments: 0 }), /languageDetectionSegments must be an integer/);
  // The model is still usable after every failure above.
  const r = await model.transcribe(audio, { beamSize: 1 });
  t.match(words(r.segments.map((s) => s.text).join(' ')), /ask not what your country/);
});

t.test('a disposed model refuses work', async (t) => {
  const m = await WhisperModel.load(modelDir('tiny.en'), { device: 'cpu', cpuThreads: 1 });
  m.dispose();
  await t.rejects(m.transcribe(fixture('jfk.flac')), /disposed/);
  t.throws(() => m.isMultilingual, /disposed/);
  m.dispose();
});
