#!/usr/bin/env node
// When the first segment of the batched pipeline (VAD + batches of 8 chunks, the server's
// default) comes, with and without a caller that takes segments as they come: with `onSegment`
// the batches grow 1, 2, 4, 8 (what `serve` does for stream=true), without it the first batch is
// 8 chunks. Without onSegment, the time the first batch ends is when progress first moves.
// Also the whole call's time, to show what the smaller first batches cost. In-process, the model
// loaded once, each case run `--repeat` times, the modes alternating. Writes bench/STREAM.md.
// Usage: node bench/stream.mjs [--model tiny.en] [--repeat 3]
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { WhisperModel, decodeAudio } from '../lib/index.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..');
const fixtures = process.env.CT2_WHISPER_FIXTURES || path.resolve(root, '..', 'shared', 'fixtures');
const cache = process.env.CT2_WHISPER_CACHE || path.join(os.homedir(), '.cache', 'ct2-whisper');
const args = process.argv.slice(2);
const arg = (name, fallback) => (args.includes(name) ? args[args.indexOf(name) + 1] : fallback);
const modelName = arg('--model', 'tiny.en');
const repeat = Number(arg('--repeat', '3'));
const FILES = ['multilingual.mp3', 'NM014.mp3', 'Arthur.mp3'];
const BATCH_SIZE = 8;

const model = await WhisperModel.load(path.join(cache, 'models', modelName), { cpuThreads: Math.min(4, os.availableParallelism()) });

/** One call: seconds to the first segment (or first batch), and in all. */
async function run(audio, streamed) {
  const t0 = performance.now();
  let first;
  const mark = () => (first ??= (performance.now() - t0) / 1000);
  const options = { batchSize: BATCH_SIZE, vadFilter: true, language: 'en' };
  if (streamed) options.onSegment = mark;
  else options.onProgress = (done, total) => done > 0 && done < total && mark();
  const r = await model.transcribe(audio, options);
  const total = (performance.now() - t0) / 1000;
  return { first: first ?? total, total, segments: r.segments.length };
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return (s[Math.floor((s.length - 1) / 2)] + s[Math.ceil((s.length - 1) / 2)]) / 2;
};
const rows = [];
for (const file of FILES) {
  const [audio] = await decodeAudio(path.join(fixtures, 'audio', file));
  await run(audio.subarray(0, 16000 * 5), false); // warm-up
  const runs = { plain: [], streamed: [] };
  for (let i = 0; i < repeat; i++) {
    for (const streamed of i % 2 ? [true, false] : [false, true]) runs[streamed ? 'streamed' : 'plain'].push(await run(audio, streamed));
  }
  for (const [mode, list] of Object.entries(runs)) {
    rows.push({ file, seconds: audio.length / 16000, mode, first: median(list.map((r) => r.first)), total: median(list.map((r) => r.total)), segments: list[0].segments });
    console.error(file, mode, list.map((r) => `${r.first.toFixed(1)}/${r.total.toFixed(1)}`).join(' '));
  }
}
model.dispose();

const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
const date = new Date().toISOString().slice(0, 10);
const lines = [
  '## Streaming: time to the first segment (bench/stream.mjs)',
  '',
  `Written by \`node bench/stream.mjs\` on ${date}: ${os.availableParallelism()} cores (${cpu}), load average ${os.loadavg()[0].toFixed(1)} at the end.`,
  `${modelName}, CPU int8, the batched pipeline as \`serve\` runs it (VAD, --batch-size ${BATCH_SIZE}, language en), in-process, median of ${repeat} runs per mode, the modes alternating.`,
  '"plain": no onSegment, the chunks in batches of 8 (the first segments come with the first batch, the time progress first moves);',
  '"streamed": onSegment given (serve\'s stream=true), batches of 1, 2, 4, 8 (the first segments come after one chunk).',
  '**The machine was shared with other work while this ran**: compare the two modes, not absolute values.',
  '',
  '| file | audio s | segments | mode | first segment s | total s | first / total |',
  '| --- | ---: | ---: | --- | ---: | ---: | ---: |',
  ...rows.map((r) => `| ${r.file} | ${r.seconds.toFixed(0)} | ${r.segments} | ${r.mode} | ${r.first.toFixed(1)} | ${r.total.toFixed(1)} | ${(r.first / r.total).toFixed(2)} |`),
  '',
];
fs.writeFileSync(path.join(here, 'STREAM.md'), lines.join('\n'));
console.log(lines.join('\n'));
