// ct2-whisper, stage by stage: the counterpart of fw_profile.py (same arguments, same JSON out),
// with the stages as the library reports them (CallOptions.onTimings).
// Usage: node bench/ct2w_profile.mjs MODEL_DIR AUDIO_FILE OPTIONS_JSON
const tStart = performance.now();
const { WhisperModel } = await import('../lib/index.js');
const [modelDir, audioPath, optionsJson] = process.argv.slice(2);
const { load, ...fwOptions } = JSON.parse(optionsJson);
const camel = (s) => s.replace(/_([a-z])/g, (_, c) => c.toUpperCase());
const options = Object.fromEntries(Object.entries(fwOptions).map(([k, v]) => [camel(k), v]));
const model = await WhisperModel.load(modelDir, { device: load.device, computeType: load.compute_type, cpuThreads: load.cpu_threads });
const tLoaded = performance.now();
let first = null;
let timings;
const t0 = performance.now();
const { segments } = await model.transcribe(audioPath, {
  ...options,
  onSegment: () => { first ??= (performance.now() - t0) / 1000; },
  onTimings: (t) => { timings = t; },
});
const total = (performance.now() - t0) / 1000;
const { decode, vad, features, encode, language, generate, align } = timings;
console.log(JSON.stringify({
  engine: 'ct2-whisper',
  stages: { decode, vad, features, encode, language, generate, align },
  total,
  first_segment: first,
  load: (tLoaded - tStart) / 1000,
  segments: segments.length,
  text: segments.map((s) => s.text).join(''),
  peak_rss_mb: process.resourceUsage().maxRSS / 1024,
}));
model.dispose();
