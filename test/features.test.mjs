// The log-mel features equal faster-whisper's FeatureExtractor (values pinned in
// test/data/mel-reference.json by test/data/make-mel-reference.py).
import t from 'tap';
import fs from 'node:fs';
import path from 'node:path';
import { logMelSpectrogram } from '../lib/index.js';
import { root, fixture } from './helpers.mjs';

const ref = JSON.parse(fs.readFileSync(path.join(root, 'test', 'data', 'mel-reference.json'), 'utf8'));

/** Left channel of a 16-bit PCM WAV, read directly (no decoder or resampler involved). */
function wavLeft(file) {
  const b = fs.readFileSync(file);
  let pos = 12;
  let channels = 1;
  while (pos < b.length) {
    const id = b.toString('ascii', pos, pos + 4);
    const size = b.readUInt32LE(pos + 4);
    if (id === 'fmt ') channels = b.readUInt16LE(pos + 10);
    if (id === 'data') {
      const n = size / 2 / channels;
      const out = new Float32Array(n);
      for (let i = 0; i < n; i++) out[i] = b.readInt16LE(pos + 8 + i * 2 * channels) / 32768;
      return out;
    }
    pos += 8 + size;
  }
  throw new Error('no data chunk');
}

const left = wavLeft(fixture('stereo_diarization.wav'));
t.equal(left.length, ref.samples, 'same samples as the reference');

for (const nMels of [80, 128]) {
  t.test(`${nMels} mel bins match faster-whisper within 1e-4`, async (t) => {
    const r = ref[String(nMels)];
    const mel = logMelSpectrogram(left, nMels);
    t.same([mel.nMels, mel.nFrames], r.shape, 'shape');
    const at = (m, f) => mel.data[m * mel.nFrames + f];
    let worst = 0;
    for (const [m, f, v] of r.points) worst = Math.max(worst, Math.abs(at(m, f) - v));
    for (let m = 0; m < nMels; m++) {
      worst = Math.max(worst, Math.abs(at(m, 0) - r.first_frame[m]), Math.abs(at(m, mel.nFrames - 1) - r.last_frame[m]));
    }
    t.ok(worst < 1e-4, `largest difference ${worst.toExponential(2)} < 1e-4`);
    const mean = mel.data.reduce((a, b) => a + b, 0) / mel.data.length;
    t.ok(Math.abs(mean - r.mean) < 1e-4, `mean ${mean} vs ${r.mean}`);
  });
}

t.test('empty audio gives one frame and no failure', async (t) => {
  const mel = logMelSpectrogram(new Float32Array(0), 80);
  t.equal(mel.nFrames, 1);
  t.ok(mel.data.every(Number.isFinite));
});
