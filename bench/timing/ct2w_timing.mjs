// One ct2-whisper run of the timing benchmark: transcribes raw 16 kHz 16-bit samples as the CLI
// does for `--format srt` (the options a subtitle format needs added by the library's own rule),
// and prints JSON: the segments (with words), the SRT file our writer makes of them, and the
// words as the writer times them.
// Usage: node bench/timing/ct2w_timing.mjs MODEL_DIR SAMPLES.s16 OPTIONS_JSON
// OPTIONS_JSON: faster-whisper's snake_case options, plus `load` and optional `output` (the
// subtitle writer's options, camelCase).
import fs from 'node:fs';

const lib = await import('../../lib/index.js');
const [modelDir, samplesPath, optionsJson] = process.argv.slice(2);
const { load, output = {}, ...fwOptions } = JSON.parse(optionsJson);
const camel = (s) => s.replace(/_([a-z])/g, (_, c) => c.toUpperCase());
let options = Object.fromEntries(Object.entries(fwOptions).map(([k, v]) => [camel(k), v]));
if (lib.optionsForFormats) options = lib.optionsForFormats(options, ['srt']);
const buf = fs.readFileSync(samplesPath);
const pcm = new Int16Array(buf.buffer, buf.byteOffset, buf.byteLength >> 1);
const audio = Float32Array.from(pcm, (v) => v / 32768);
const model = await lib.WhisperModel.load(modelDir, { device: load.device, computeType: load.compute_type, cpuThreads: load.cpu_threads });
const t1 = performance.now();
const result = await model.transcribe(audio, options);
const t2 = performance.now();
const srt = lib.render(result, 'srt', output);
// The words as the subtitle writer times them (trimmed to where the VAD hears speech).
const cued = lib.subtitleCues ? lib.subtitleCues(result, output).flatMap((c) => c.words.map((w) => ({ start: w.start, end: w.end, word: w.text }))) : null;
console.log(JSON.stringify({
  engine: 'ct2-whisper',
  options,
  segments: result.segments.map((s) => ({
    start: s.start, end: s.end, text: s.text,
    words: s.words ? s.words.map((w) => ({ start: w.start, end: w.end, word: w.word })) : null,
  })),
  srt,
  cued_words: cued,
  transcribe_s: (t2 - t1) / 1000,
}));
model.dispose();
