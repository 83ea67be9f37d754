#!/usr/bin/env node
// How close the token log probabilities (tokenLogprobs: CTranslate2's alignment pass) are to the
// beam search's own: per decode (a window, or a batched chunk), the mean of its text tokens' log
// probabilities against its segments' avg_logprob, which is the search's cumulative log
// probability over the tokens it generated (timestamps too) and <|endoftext|>, divided by their
// count (faster-whisper's formula). They cannot be equal (the
// search's average also counts <|endoftext|>; see docs/library.md for how the two are computed),
// but a large gap would mean the numbers are not the decoder's. Both pipelines, the English
// fixtures. Writes bench/LOGPROBS.md.
// Usage: node bench/logprobs.mjs [--model tiny.en]
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { WhisperModel } from '../lib/index.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..');
const fixtures = process.env.CT2_WHISPER_FIXTURES || path.resolve(root, '..', 'shared', 'fixtures');
const cache = process.env.CT2_WHISPER_CACHE || path.join(os.homedir(), '.cache', 'ct2-whisper');
const args = process.argv.slice(2);
const modelName = args.includes('--model') ? args[args.indexOf('--model') + 1] : 'tiny.en';
const FILES = ['jfk.flac', 'gettysburg.wav', 'hotwords.mp3', 'NM014.mp3', 'Arthur.mp3'];
const PIPELINES = { batched: { batchSize: 8, vadFilter: true }, sequential: {} };

const model = await WhisperModel.load(path.join(cache, 'models', modelName), { cpuThreads: Math.min(4, os.availableParallelism()) });
const rows = [];
for (const [pipeline, options] of Object.entries(PIPELINES)) {
  const gaps = [];
  let tokens = 0;
  for (const file of FILES) {
    const r = await model.transcribe(path.join(fixtures, 'audio', file), { ...options, language: 'en', tokenLogprobs: true });
    // avg_logprob is the decode's: one window's (sequential) or one chunk's (batched), shared by its segments.
    const decodes = new Map();
    for (const s of r.segments) decodes.set(s.seek, [...(decodes.get(s.seek) ?? []), s]);
    for (const segments of decodes.values()) {
      const l = segments.flatMap((s) => s.token_logprobs ?? []);
      if (!l.length) continue;
      tokens += l.length;
      gaps.push(l.reduce((a, x) => a + x.logprob, 0) / l.length - segments[0].avg_logprob);
    }
  }
  const abs = gaps.map(Math.abs).sort((a, b) => a - b);
  rows.push({ pipeline, segments: gaps.length, tokens, mean: gaps.reduce((a, g) => a + g, 0) / gaps.length, median: abs[Math.floor(abs.length / 2)], p90: abs[Math.floor(abs.length * 0.9)], max: abs.at(-1) });
  console.error(pipeline, rows.at(-1));
}
model.dispose();

const lines = [
  '## Token log probabilities against the beam search (bench/logprobs.mjs)',
  '',
  `Written by \`node bench/logprobs.mjs\` on ${new Date().toISOString().slice(0, 10)}: ${modelName}, CPU int8, language en, the fixtures ${FILES.join(', ')}.`,
  "Per decode (a 30 s window of the sequential pipeline, a speech chunk of the batched one): the mean of its text tokens' `token_logprobs` (the alignment pass) minus its segments' `avg_logprob` (the beam search's score per generated token, timestamps and `<|endoftext|>` included). A sanity check on few files, not an evaluation: the two are different quantities by construction (docs/library.md#token-log-probabilities).",
  '',
  '| pipeline | decodes | tokens | mean difference | median abs | p90 abs | max abs |',
  '| --- | ---: | ---: | ---: | ---: | ---: | ---: |',
  ...rows.map((r) => `| ${r.pipeline} | ${r.segments} | ${r.tokens} | ${r.mean.toFixed(3)} | ${r.median.toFixed(3)} | ${r.p90.toFixed(3)} | ${r.max.toFixed(3)} |`),
  '',
];
fs.writeFileSync(path.join(here, 'LOGPROBS.md'), lines.join('\n'));
console.log(lines.join('\n'));
