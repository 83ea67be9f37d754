// Silero VAD in the addon against what the TypeScript path on onnxruntime-node computed before it
// moved (test/data/vad-probabilities.json, written by make-vad-probabilities.mjs): every window's
// probability within 1e-5 and the very same speech timestamps, on every fixture and four parameter
// sets; and the calls run off the JS thread and stop when aborted.
import t from 'tap';
import fs from 'node:fs';
import path from 'node:path';
import { decodeAudio, getSpeechTimestamps, speechProbabilities } from '../lib/index.js';
import { fixturesDir, root } from './helpers.mjs';

const ref = JSON.parse(fs.readFileSync(path.join(root, 'test', 'data', 'vad-probabilities.json'), 'utf8'));
const f32 = (b64) => {
  const b = Buffer.from(b64, 'base64');
  return new Float32Array(b.buffer, b.byteOffset, b.length / 4);
};

/** The same edge inputs as make-vad-probabilities.mjs. */
function noise(n, seed) {
  const out = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = (s / 2 ** 32 - 0.5) * 0.6;
  }
  return out;
}
const edges = { empty: new Float32Array(0), 'noise-100': noise(100, 1), 'noise-512': noise(512, 2), 'noise-1000': noise(1000, 3) };

async function input(name) {
  if (edges[name]) return edges[name];
  const [audio] = await decodeAudio(path.join(fixturesDir, 'audio', name), { decoder: 'native' });
  return audio;
}

t.test('the reference covers every fixture', async (t) => {
  const fixtures = fs.readdirSync(path.join(fixturesDir, 'audio'));
  t.same(fixtures.filter((f) => !ref[f]), [], 'no fixture without a reference');
});

for (const [name, expected] of Object.entries(ref)) {
  t.test(name, async (t) => {
    const audio = await input(name);
    t.equal(audio.length, expected.samples, 'the input is the one the reference was made from (sample count)');
    t.ok(Math.abs(audio.reduce((a, b) => a + b, 0) - expected.sum) < 1e-6 * Math.max(1, audio.length), 'the input is the one the reference was made from (sum)');
    const want = f32(expected.probabilities);
    const got = await speechProbabilities(audio);
    t.equal(got.length, want.length, `${want.length} windows`);
    let worst = 0;
    for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(got[i] - want[i]));
    t.ok(worst <= 1e-5, `probabilities within 1e-5 (largest difference ${worst.toExponential(2)})`);
    for (const { params, chunks } of expected.speech) {
      t.same(await getSpeechTimestamps(audio, params), chunks, `speech timestamps of ${JSON.stringify(params)}: ${chunks.length} chunks`);
    }
  });
}

t.test('VAD runs off the JS thread and stops when aborted', async (t) => {
  const [audio] = await decodeAudio(path.join(fixturesDir, 'audio', 'Arthur.mp3'), { decoder: 'native' });
  // About 8 minutes of audio: the event loop keeps turning while the addon works.
  const long = new Float32Array(audio.length * 2);
  long.set(audio);
  long.set(audio, audio.length);
  let ticks = 0;
  const timer = setInterval(() => ticks++, 5);
  const probs = await speechProbabilities(long);
  clearInterval(timer);
  t.equal(probs.length, Math.floor(long.length / 512) + 1);
  t.ok(ticks > 0, `the event loop ran ${ticks} times during the call`);
  // Aborted while the addon works (it looks between its batches of 32 s of audio).
  const controller = new AbortController();
  const call = speechProbabilities(long, undefined, controller.signal);
  setImmediate(() => controller.abort(new Error('stop here')));
  await t.rejects(call, { message: 'stop here' }, 'aborting the signal stops it');
});
