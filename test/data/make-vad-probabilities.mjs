// Writes vad-probabilities.json: the Silero VAD's speech probabilities and speech timestamps as
// the TypeScript path computed them (src/vad.ts on onnxruntime-node 1.30, one intra-op thread),
// on every fixture decoded by the built-in decoder and on a few edge inputs, so that the native
// path (native/src/onnx/vad.rs) can be held to them (test/vad-native.test.mjs).
// It was run once, at the commit that adds it, before the VAD moved into the addon; with
// onnxruntime-node gone it cannot run again. Each input's sample count and sum are recorded,
// so that a change of the decoder shows as "the input changed", not as a VAD difference.
// Usage (at that commit): node test/data/make-vad-probabilities.mjs
import fs from 'node:fs';
import path from 'node:path';
import { decodeAudio, getSpeechTimestamps, speechProbabilities } from '../../lib/index.js';
import { fixturesDir, root } from '../helpers.mjs';

/** Parameter sets: faster-whisper's defaults, the batched pipeline's, the vad test's, a low threshold. */
const PARAMS = [{}, { minSilenceDurationMs: 160, maxSpeechDurationS: 30 }, { minSilenceDurationMs: 500, speechPadMs: 200 }, { threshold: 0.3, minSpeechDurationMs: 100, maxSpeechDurationS: 5 }];

/** A deterministic noise burst (a linear congruential generator), so the edge inputs are not all silence. */
function noise(n, seed) {
  const out = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = (s / 2 ** 32 - 0.5) * 0.6;
  }
  return out;
}

const sum = (a) => a.reduce((x, y) => x + y, 0);
const base64 = (f32) => Buffer.from(f32.buffer, f32.byteOffset, f32.byteLength).toString('base64');

const inputs = {};
for (const name of fs.readdirSync(path.join(fixturesDir, 'audio')).sort()) {
  [inputs[name]] = await decodeAudio(path.join(fixturesDir, 'audio', name), { decoder: 'native' });
}
// Edge inputs: no samples, less than a window, exactly one window, one window and a bit.
inputs['empty'] = new Float32Array(0);
inputs['noise-100'] = noise(100, 1);
inputs['noise-512'] = noise(512, 2);
inputs['noise-1000'] = noise(1000, 3);

const out = {};
for (const [name, audio] of Object.entries(inputs)) {
  const probs = await speechProbabilities(audio);
  const speech = [];
  for (const params of PARAMS) speech.push({ params, chunks: await getSpeechTimestamps(audio, params) });
  out[name] = { samples: audio.length, sum: sum(audio), probabilities: base64(probs), speech };
  console.log(`${name}: ${probs.length} windows, ${speech.map((s) => s.chunks.length).join('/')} chunks`);
}
fs.writeFileSync(path.join(root, 'test', 'data', 'vad-probabilities.json'), `${JSON.stringify(out)}\n`);
