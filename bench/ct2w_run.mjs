// One ct2-whisper run for the side-by-side bench: the counterpart of fw_run.py, same arguments
// (options in faster-whisper's snake_case), same JSON out.
// Usage: node bench/ct2w_run.mjs MODEL_DIR SAMPLES.s16 OPTIONS_JSON
import fs from 'node:fs';

const t0 = performance.now();
const { WhisperModel } = await import('../lib/index.js');
const [modelDir, samplesPath, optionsJson] = process.argv.slice(2);
const { load, ...fwOptions } = JSON.parse(optionsJson);
const camel = (s) => s.replace(/_([a-z])/g, (_, c) => c.toUpperCase());
const options = Object.fromEntries(Object.entries(fwOptions).map(([k, v]) => [camel(k), v]));
// The samples as float32 = int16 / 32768, read without keeping the raw bytes (the library copies
// a caller's array when the call starts; this one is dropped right after, as fw_run.py's numpy
// int16 array is).
let audio = (() => {
  const buf = fs.readFileSync(samplesPath);
  const pcm = new Int16Array(buf.buffer, buf.byteOffset, buf.byteLength >> 1);
  return Float32Array.from(pcm, (v) => v / 32768);
})();
const model = await WhisperModel.load(modelDir, { device: load.device, computeType: load.compute_type, cpuThreads: load.cpu_threads });
const t1 = performance.now();
let firstSegment = null;
const call = model.transcribe(audio, { ...options, onSegment: () => { firstSegment ??= (performance.now() - t1) / 1000; } });
audio = null;
const { segments, info } = await call;
const t2 = performance.now();
console.log(JSON.stringify({
  engine: 'ct2-whisper',
  language: info.language,
  segments: segments.map((s) => ({
    start: s.start, end: s.end, text: s.text,
    words: s.words ? s.words.map((w) => ({ start: w.start, end: w.end, word: w.word })) : null,
  })),
  load_s: (t1 - t0) / 1000,
  transcribe_s: (t2 - t1) / 1000,
  first_segment_s: firstSegment,
  peak_rss_mb: process.resourceUsage().maxRSS / 1024,
}));
model.dispose();
