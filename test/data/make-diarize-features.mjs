// Writes diarize-features.json: what the TypeScript diarization path computed (src/diarize/ on
// onnxruntime-node 1.30, one intra-op thread) before its models and features moved into the addon:
// the Kaldi fbank of a clip, the segmentation activities of the windows of a recording, the CAM++
// embedding of each local speaker of those windows and of a whole clip. test/diarize-native.test.mjs
// holds the native path (native/src/onnx/) to them.
// It was run once, at the commit that adds it; with onnxruntime-node gone it cannot run again.
// Each input's sample count and sum are recorded, so that a change of the decoder shows as "the
// input changed", not as a difference of the diarization.
// Usage (at that commit): node test/data/make-diarize-features.mjs
import fs from 'node:fs';
import path from 'node:path';
import { decodeAudio } from '../../lib/index.js';
import { fbank } from '../../lib/diarize/fbank.js';
import { segment } from '../../lib/diarize/segmentation.js';
import { embedClip, embedLocalSpeakers } from '../../lib/diarize/embedding.js';
import { modelSession } from '../../lib/diarize/models.js';
import { Pauser } from '../../lib/diarize/pause.js';
import { cache, fixture, root } from '../helpers.mjs';

const sum = (a) => a.reduce((x, y) => x + y, 0);
const base64 = (a) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('base64');
const dir = path.join(cache, 'models', 'diarization');
const seg = await modelSession(path.join(dir, 'segmentation.onnx'), 1);
const emb = await modelSession(path.join(dir, 'embedding.onnx'), 1);

const [jfk] = await decodeAudio(fixture('jfk.flac'), { decoder: 'native' });
const clip = jfk.subarray(0, 24000); // 1.5 s: 148 fbank frames
const [arthurWhole] = await decodeAudio(fixture('Arthur.mp3'), { decoder: 'native' });
const arthur = arthurWhole.subarray(0, 16000 * 40); // 40 s: several readers
const STEP = 16000 * 2.5;

const windows = await segment(arthur, STEP, seg, () => {});
const local = await embedLocalSpeakers(arthur, windows, emb, new Pauser());
const out = {
  fbank: { input: 'jfk.flac', samples: clip.length, sum: sum(clip), features: base64(fbank(clip)) },
  segmentation: {
    input: 'Arthur.mp3', samples: arthur.length, sum: sum(arthur), step: STEP,
    windows: windows.map((w) => ({ start: w.start, active: base64(w.active) })),
  },
  local: local.map((l) => ({ window: l.window, speaker: l.speaker, clean: l.clean, frames: l.frames, vector: base64(l.vector) })),
  clip: { input: 'jfk.flac', samples: jfk.length, sum: sum(jfk), vector: base64(await embedClip(jfk, emb)) },
};
fs.writeFileSync(path.join(root, 'test', 'data', 'diarize-features.json'), `${JSON.stringify(out)}\n`);
console.log(`${windows.length} windows, ${local.length} local embeddings`);
