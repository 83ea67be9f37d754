// Audio decoding: the built-in decoder for common formats (no ffmpeg needed), ffmpeg for the rest.
import t from 'tap';
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { decodeAudio, WhisperModel } from '../lib/index.js';
import { fixture, modelDir, tmpDir, words } from './helpers.mjs';

const NO_FFMPEG = { ffmpegPath: '/nonexistent/ffmpeg' };

function correlation(a, b) {
  const n = Math.min(a.length, b.length);
  let ab = 0, aa = 0, bb = 0;
  for (let i = 0; i < n; i++) { ab += a[i] * b[i]; aa += a[i] * a[i]; bb += b[i] * b[i]; }
  return ab / Math.sqrt(aa * bb);
}

t.test('built-in decoder agrees with ffmpeg', async (t) => {
  for (const [name, seconds] of [['jfk.flac', 11], ['gettysburg.wav', 10], ['hotwords.mp3', 4], ['stereo_diarization.wav', 5]]) {
    const [nat] = await decodeAudio(fixture(name), { decoder: 'native' });
    const [ff] = await decodeAudio(fixture(name), { decoder: 'ffmpeg' });
    t.ok(Math.abs(nat.length / 16000 - seconds) < 0.1, `${name}: ${nat.length / 16000} s`);
    t.ok(Math.abs(nat.length - ff.length) <= 1200, `${name}: ${nat.length} vs ffmpeg ${ff.length} samples`);
    const c = correlation(nat, ff);
    t.ok(c > 0.98, `${name}: correlation with ffmpeg's decode ${c.toFixed(4)}`);
  }
});

t.test('M4A/AAC and OGG Vorbis decode without ffmpeg', async (t) => {
  const dir = tmpDir(t);
  const model = await WhisperModel.load(modelDir('tiny.en'), { device: 'cpu', cpuThreads: 2 });
  t.teardown(() => model.dispose());
  for (const [ext, codec] of [['m4a', 'aac'], ['ogg', 'libvorbis']]) {
    const file = path.join(dir, `jfk.${ext}`);
    const r = spawnSync('ffmpeg', ['-nostdin', '-loglevel', 'error', '-i', fixture('jfk.flac'), '-c:a', codec, '-b:a', '96k', file]);
    t.equal(r.status, 0, `made ${ext} with ffmpeg`);
    const [samples] = await decodeAudio(file, { decoder: 'native' });
    t.ok(Math.abs(samples.length / 16000 - 11) < 0.2, `${ext}: ${samples.length / 16000} s`);
    const result = await model.transcribe(file, NO_FFMPEG);
    t.match(words(result.segments.map((s) => s.text).join(' ')), /ask not what your country can do for you/, `${ext} transcribes with no ffmpeg`);
    const fromBuffer = await model.transcribe(fs.readFileSync(file), NO_FFMPEG);
    t.same(fromBuffer.segments.map((s) => s.text), result.segments.map((s) => s.text), `${ext} from a Buffer`);
  }
});

t.test('formats that need ffmpeg', async (t) => {
  const dir = tmpDir(t);
  const file = path.join(dir, 'jfk.opus');
  const r = spawnSync('ffmpeg', ['-nostdin', '-loglevel', 'error', '-i', fixture('jfk.flac'), '-c:a', 'libopus', file]);
  t.equal(r.status, 0, 'made opus with ffmpeg');
  const [samples] = await decodeAudio(file);
  t.ok(Math.abs(samples.length / 16000 - 11) < 0.1, 'opus decodes through ffmpeg');
  await t.rejects(decodeAudio(file, NO_FFMPEG), /not in a format the built-in decoder reads .* ffmpeg was not found \(tried "\/nonexistent\/ffmpeg"\)/, 'names ffmpeg when it is missing');
  const before = fs.readdirSync(process.env.TMPDIR || '/tmp').filter((f) => f.startsWith('ct2w-audio-')).length;
  const [fromBuffer] = await decodeAudio(fs.readFileSync(file));
  t.equal(fromBuffer.length, samples.length, 'from a Buffer through a temp file');
  const after = fs.readdirSync(process.env.TMPDIR || '/tmp').filter((f) => f.startsWith('ct2w-audio-')).length;
  t.equal(after, before, 'the temp file is gone');
});

t.test('stereo channels apart', async (t) => {
  const nat = await decodeAudio(fixture('stereo_diarization.wav'), { splitChannels: true });
  const ff = await decodeAudio(fixture('stereo_diarization.wav'), { splitChannels: true, decoder: 'ffmpeg' });
  t.equal(nat.length, 2);
  t.equal(ff.length, 2);
  t.ok(correlation(nat[0], ff[0]) > 0.999 && correlation(nat[1], ff[1]) > 0.999, 'same channels as ffmpeg');
  t.ok(correlation(nat[0], nat[1]) < 0.5, 'the channels differ');
  const model = await WhisperModel.load(modelDir('base'), { device: 'cpu', cpuThreads: 2 });
  t.teardown(() => model.dispose());
  const r = await model.transcribe(fixture('stereo_diarization.wav'), { splitChannels: true, language: 'en' });
  t.equal(r.channels.length, 2);
  const left = words(r.channels[0].segments.map((s) => s.text).join(' '));
  const right = words(r.channels[1].segments.map((s) => s.text).join(' '));
  t.match(left, /confused complaint against the wizard/, `left: ${left}`);
  t.match(right, /horizon seems extremely distant/, `right: ${right}`);
  t.same(new Set(r.segments.map((s) => s.channel)), new Set([0, 1]), 'merged segments carry their channel');
});
