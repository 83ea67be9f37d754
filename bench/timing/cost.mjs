#!/usr/bin/env node
// What subtitles cost: the seconds of one transcription with and without what srt and vtt turn
// on (word timestamps, and the VAD's speech regions), sequential and batched, on one model load
// in one process, the configurations taking turns, the median of --repeat runs. Writes
// bench/timing/COST.md (bench/timing/run.mjs puts it in its section of bench/RESULTS.md).
//   node bench/timing/cost.mjs [--repeat 3] [--model tiny.en] [--recording long-test-1]
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { WhisperModel, optionsForFormats } from '../../lib/index.js';
import { ensureRecordings, defaultDir } from './make-audio.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const arg = (name, def) => (args.includes(name) ? args[args.indexOf(name) + 1] : def);
const repeat = Number(arg('--repeat', '3'));
const modelName = arg('--model', 'tiny.en');
const cache = process.env.CT2_WHISPER_CACHE || path.join(os.homedir(), '.cache', 'ct2-whisper');
const rec = ensureRecordings(defaultDir()).find((r) => r.name === arg('--recording', 'long-test-1'));
const buf = fs.readFileSync(rec.s16);
const audio = Float32Array.from(new Int16Array(buf.buffer, buf.byteOffset, buf.byteLength >> 1), (v) => v / 32768);

const CASES = [
  ['sequential', {}],
  ['sequential, as for srt (word timestamps, speech regions)', optionsForFormats({}, ['srt'])],
  ['batched 8, without word timestamps', { batchSize: 8, wordTimestamps: false }],
  ['batched 8 (word timestamps, the default)', { batchSize: 8 }],
];
const model = await WhisperModel.load(path.join(cache, 'models', modelName), { device: 'cpu', computeType: 'int8', cpuThreads: 2 });
const seconds = CASES.map(() => []);
const stages = CASES.map(() => ({}));
for (let i = 0; i < repeat; i++) {
  for (const [k, [, options]] of CASES.entries()) {
    const t0 = performance.now();
    await model.transcribe(audio, { ...options, onTimings: (t) => (stages[k] = t) });
    seconds[k].push((performance.now() - t0) / 1000);
  }
}
model.dispose();
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const lines = [
  `What subtitles cost (\`node bench/timing/cost.mjs\`, ${new Date().toISOString().slice(0, 10)}): ${rec.name} (${rec.reference.duration.toFixed(0)} s), ${modelName}, int8, 2 threads, one model load, median of ${repeat} runs taking turns; align: the word alignment, vad: Silero (from the last run).`,
  '',
  '| | transcribe s | align s | vad s |',
  '| --- | ---: | ---: | ---: |',
  ...CASES.map(([name], k) => `| ${name} | ${median(seconds[k]).toFixed(1)} | ${(stages[k].align ?? 0).toFixed(1)} | ${(stages[k].vad ?? 0).toFixed(1)} |`),
  '',
];
fs.writeFileSync(path.join(here, 'COST.md'), lines.join('\n'));
console.log(lines.join('\n'));
