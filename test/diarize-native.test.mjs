// The diarization's fbank, segmentation and embeddings in the addon against what the TypeScript
// path on onnxruntime-node computed before they moved (test/data/diarize-features.json, written by
// make-diarize-features.mjs): the same features, activities and embeddings, frame choice and all;
// and the frame-set contract of embedFrameSets.
import t from 'tap';
import fs from 'node:fs';
import path from 'node:path';
import { decodeAudio } from '../lib/index.js';
import { fbank, fbankFeatures } from '../lib/diarize/fbank.js';
import { segment } from '../lib/diarize/segmentation.js';
import { embedClip, embedFrameSets, embedLocalSpeakers, frameRuns, cosine } from '../lib/diarize/embedding.js';
import { loadDiarizationModels } from '../lib/diarize/models.js';
import { Pauser } from '../lib/diarize/pause.js';
import { cache, fixture, root, tmpDir } from './helpers.mjs';

const ref = JSON.parse(fs.readFileSync(path.join(root, 'test', 'data', 'diarize-features.json'), 'utf8'));
const bytes = (b64) => Buffer.from(b64, 'base64');
const f32 = (b64) => {
  const b = bytes(b64);
  return new Float32Array(b.buffer, b.byteOffset, b.length / 4);
};
const sum = (a) => a.reduce((x, y) => x + y, 0);
const dir = path.join(cache, 'models', 'diarization');
const models = await loadDiarizationModels({ segmentation: path.join(dir, 'segmentation.onnx'), embedding: path.join(dir, 'embedding.onnx') }, 1);
const [jfk] = await decodeAudio(fixture('jfk.flac'), { decoder: 'native' });
const [arthurWhole] = await decodeAudio(fixture('Arthur.mp3'), { decoder: 'native' });

function sameInput(t, audio, expected) {
  t.equal(audio.length, expected.samples, `${expected.input}: the input the reference was made from (sample count)`);
  t.ok(Math.abs(sum(audio) - expected.sum) < 1e-6 * Math.max(1, audio.length), `${expected.input}: the input the reference was made from (sum)`);
}

t.test('fbank: the same features', async (t) => {
  const clip = jfk.subarray(0, ref.fbank.samples);
  sameInput(t, clip, ref.fbank);
  const want = f32(ref.fbank.features);
  const got = fbank(clip);
  t.equal(got.length, want.length, `${want.length / 80} frames`);
  let worst = 0;
  for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(got[i] - want[i]));
  t.ok(worst <= 1e-4, `within 1e-4 of the TypeScript fbank (largest difference ${worst.toExponential(2)})`);
  const threaded = await fbankFeatures(clip, 3);
  t.same(threaded.toArray(), got, 'off the JS thread on 3 threads: the same numbers');
});

t.test('segmentation: the same activities', async (t) => {
  const { segmentation: s } = ref;
  const audio = arthurWhole.subarray(0, s.samples);
  sameInput(t, audio, s);
  const windows = await segment(audio, s.step, models.segmentation);
  t.same(windows.map((w) => w.start), s.windows.map((w) => w.start), `${s.windows.length} windows at the same starts`);
  let differing = 0;
  windows.forEach((w, i) => {
    const want = bytes(s.windows[i].active);
    for (let k = 0; k < want.length; k++) if (w.active[k] !== want[k]) differing++;
  });
  t.equal(differing, 0, 'every frame and speaker the same');
});

t.test('embeddings: the same local speakers and vectors', async (t) => {
  const { segmentation: s } = ref;
  const audio = arthurWhole.subarray(0, s.samples);
  const windows = s.windows.map((w) => ({ start: w.start, active: new Uint8Array(bytes(w.active)) }));
  const local = await embedLocalSpeakers(audio, windows, models.embedding, new Pauser(), 2);
  t.same(local.map(({ window, speaker, clean, frames }) => ({ window, speaker, clean, frames })), ref.local.map(({ window, speaker, clean, frames }) => ({ window, speaker, clean, frames })), 'the same local speakers, from the same frames');
  const worst = Math.min(...local.map((l, i) => cosine(l.vector, f32(ref.local[i].vector))));
  t.ok(worst > 0.99999, `each vector's cosine with the reference's above 0.99999 (lowest ${worst.toFixed(7)})`);
  sameInput(t, jfk, ref.clip);
  const clip = await embedClip(jfk, models.embedding);
  t.ok(cosine(clip, f32(ref.clip.vector)) > 0.99999, 'a clip\'s embedding too');
});

t.test('embedFrameSets: runs of frames, mean-normalized per set', async (t) => {
  const features = await fbankFeatures(jfk);
  t.equal(features.frames, 1 + Math.floor((jfk.length - 400) / 160));
  t.same(frameRuns([3, 4, 5, 9, 10, 20]), Uint32Array.of(3, 6, 9, 11, 20, 21), 'ascending frames as [start, end) runs');
  const [whole, split, again] = await embedFrameSets(models.embedding, features, [
    { runs: Uint32Array.of(0, 300) },
    { runs: Uint32Array.of(0, 100, 100, 300) },
    { runs: frameRuns(Array.from({ length: 300 }, (_, i) => i)) },
  ]);
  t.equal(whole.length, 192);
  t.ok(Math.abs(Math.hypot(...whole) - 1) < 1e-5, 'L2-normalized');
  t.same(split, whole, 'the same frames in two runs: the same vector');
  t.same(again, whole);
  const [late] = await embedFrameSets(models.embedding, features, [{ runs: Uint32Array.of(600, 900) }]);
  t.ok(cosine(late, whole) < 0.9999, 'other frames, another vector');
  for (const [runs, why] of [[Uint32Array.of(5, 5), /empty/], [Uint32Array.of(0, features.frames + 1), /past the/], [Uint32Array.of(3), /pairs/]]) {
    await t.rejects(embedFrameSets(models.embedding, features, [{ runs }]), { code: 'ERR_INPUT', message: why }, `runs ${runs.join(',')} refused`);
  }
  const controller = new AbortController();
  controller.abort(new Error('stopped'));
  await t.rejects(embedFrameSets(models.embedding, features, [{ runs: Uint32Array.of(0, 300) }], controller.signal), { message: 'stopped' });
});

t.test('a file that is not the model is a ModelError naming it', async (t) => {
  const bad = path.join(tmpDir(t), 'segmentation.onnx');
  fs.writeFileSync(bad, 'not a model');
  await t.rejects(loadDiarizationModels({ segmentation: bad, embedding: path.join(dir, 'embedding.onnx') }, 1), { code: 'ERR_MODEL', message: /the ONNX model .*segmentation\.onnx could not be loaded: .*Protobuf/ });
  await t.rejects(loadDiarizationModels({ segmentation: path.join(dir, 'embedding.onnx'), embedding: path.join(dir, 'embedding.onnx') }, 1), { code: 'ERR_MODEL', message: /is not a segmentation model/ });
});
