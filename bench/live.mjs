#!/usr/bin/env node
// Live transcription latency (model.live, the library's streaming transcriber): recordings fed
// at real time in 100 ms chunks; for each word that appears in a delta, the time from the word's
// end in the audio (word timestamps of a file transcription of the same audio) to the delta's
// arrival; for each turn, from the end of its speech (its last word's end) to `completed`; and
// the WER of the turns' final texts against a file transcription of the whole recording.
// Recordings: jfk.flac, gettysburg.wav, hotwords.mp3 (fixtures) and a passage spoken by espeak-ng
// (synthetic, made here). CPU int8, 2 threads. Writes bench/LIVE.md and its section of RESULTS.md.
// Usage: node bench/live.mjs [--models tiny.en,base]
import { spawnSync } from 'node:child_process';
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
const models = arg('--models', 'tiny.en,base').split(',');

const PASSAGE = 'The station opens at nine in the morning. Trains leave every twenty minutes for the city. ' +
  'Please keep your ticket until the end of your journey. The last train departs shortly before midnight.';

async function espeak() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ct2w-live-'));
  const out = path.join(dir, 'passage.wav');
  const r = spawnSync('espeak-ng', ['-v', 'en-us', '-s', '150', '-g', '12', '-w', out, PASSAGE]);
  if (r.status !== 0) throw new Error(`espeak-ng: ${r.stderr}`);
  const [a] = await decodeAudio(out);
  fs.rmSync(dir, { recursive: true, force: true });
  return a;
}

const pad = (a) => {
  const out = new Float32Array(a.length + 16000 * 3);
  out.set(a, 16000);
  return out;
};
const norm = (w) => w.toLowerCase().replace(/[^\p{L}\p{N}']/gu, '');
const wordsOf = (text) => text.split(/\s+/).map(norm).filter(Boolean);

function wer(ref, hyp) {
  const r = wordsOf(ref);
  const h = wordsOf(hyp);
  let prev = Array.from({ length: h.length + 1 }, (_, j) => j);
  for (let i = 1; i <= r.length; i++) {
    const cur = [i];
    for (let j = 1; j <= h.length; j++) cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (r[i - 1] === h[j - 1] ? 0 : 1));
    prev = cur;
  }
  return { errors: prev[h.length], words: r.length };
}

/** Feeds `audio` at real time; resolves with each event and its arrival (ms after the feed began). */
async function feed(model, audio) {
  const live = model.live({});
  const events = [];
  const t0 = performance.now();
  const reading = (async () => {
    for await (const e of live) events.push({ ...e, at: performance.now() - t0 });
  })();
  for (let i = 0; i < audio.length; i += 1600) {
    live.push(audio.subarray(i, i + 1600));
    const wait = ((i + 1600) / 16) - (performance.now() - t0);
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  }
  await live.end();
  await reading;
  return events;
}

/** Each delta word matched to the reference's next words (looking 5 ahead); the latency from its end. */
function wordLatencies(events, refWords) {
  const out = [];
  let next = 0;
  let unmatched = 0;
  for (const e of events.filter((x) => x.type === 'delta')) {
    for (const w of wordsOf(e.delta)) {
      const k = refWords.slice(next, next + 5).findIndex((r) => norm(r.word) === w);
      if (k < 0) {
        unmatched++;
        continue;
      }
      out.push(e.at / 1000 - refWords[next + k].end);
      next += k + 1;
    }
  }
  return { latencies: out, unmatched };
}

const quantile = (xs, q) => {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))];
};

/** What the machine gives the model now: the median time of three file transcriptions of 5 s of speech (default options). */
async function loadProbe(model, audio) {
  const times = [];
  for (let i = 0; i < 3; i++) {
    const t0 = performance.now();
    await model.transcribe(audio.subarray(16000, 16000 * 6));
    times.push((performance.now() - t0) / 1000);
  }
  return quantile(times, 0.5);
}

const recordings = [
  ['jfk.flac', pad((await decodeAudio(path.join(fixtures, 'audio', 'jfk.flac')))[0])],
  ['gettysburg.wav', pad((await decodeAudio(path.join(fixtures, 'audio', 'gettysburg.wav')))[0])],
  ['hotwords.mp3', pad((await decodeAudio(path.join(fixtures, 'audio', 'hotwords.mp3')))[0])],
  ['espeak-ng passage', pad(await espeak())],
];

const rows = [];
for (const name of models) {
  const model = await WhisperModel.load(path.join(cache, 'models', name), { device: 'cpu', computeType: 'int8', cpuThreads: 2 });
  await model.transcribe(recordings[0][1].subarray(0, 32000)); // warm-up
  const probe = await loadProbe(model, recordings[0][1]);
  const all = { words: [], completed: [], fromStop: [], errors: 0, refWords: 0, unmatched: 0, deltaWords: 0, turns: 0, probe, deltaErrors: 0, deltaRef: 0 };
  for (const [file, audio] of recordings) {
    const ref = await model.transcribe(audio, { wordTimestamps: true });
    const refWords = ref.segments.flatMap((s) => s.words ?? []);
    const events = await feed(model, audio);
    const { latencies, unmatched } = wordLatencies(events, refWords);
    all.words.push(...latencies);
    all.unmatched += unmatched;
    all.deltaWords += latencies.length + unmatched;
    for (const c of events.filter((e) => e.type === 'completed')) {
      const sent = wordsOf(events.filter((e) => e.type === 'delta' && e.itemId === c.itemId).map((e) => e.delta).join(''));
      const final = wordsOf(c.text);
      all.deltaWords2 = (all.deltaWords2 ?? 0) + sent.length;
      all.deltaChanged = (all.deltaChanged ?? 0) + sent.filter((w, i) => final[i] !== w).length;
      const inTurn = refWords.filter((w) => w.end * 1000 > c.audioStartMs && w.start * 1000 < c.audioEndMs);
      const stop = events.find((e) => e.type === 'speech_stopped' && e.itemId === c.itemId);
      if (inTurn.length) all.completed.push(c.at / 1000 - Math.min(inTurn.at(-1).end, c.audioEndMs / 1000));
      if (stop) all.fromStop.push((c.at - stop.at) / 1000);
      all.turns++;
    }
    const finals = events.filter((e) => e.type === 'completed').map((e) => e.text).join(' ');
    const w = wer(ref.segments.map((s) => s.text).join(' '), finals);
    all.errors += w.errors;
    all.refWords += w.words;
    console.error(`${name} ${file}: ${latencies.length} delta words, ${events.filter((e) => e.type === 'completed').length} turns, WER ${(w.errors / w.words).toFixed(3)}`);
  }
  model.dispose();
  rows.push({ name, ...all });
}

const f = (x) => (Number.isFinite(x) ? x.toFixed(2) : '–');
const load = os.loadavg()[0].toFixed(1);
const section = [
  '## Live transcription latency (bench/live.mjs)',
  '',
  `Written by \`node bench/live.mjs\` on ${new Date().toISOString().slice(0, 10)}: ${os.availableParallelism()} cores (${os.cpus()[0]?.model ?? 'CPU'}), load average ${load} at the end.`,
  'model.live() with its defaults (Silero turns: threshold 0.5, 300 ms padding, 500 ms silence; a partial decoding every 0.7 s of audio), CPU int8, 2 threads;',
  'recordings fed at real time in 100 ms chunks: jfk.flac, gettysburg.wav, hotwords.mp3 (fixtures) and a 4-sentence passage by espeak-ng, each with 1 s of silence before and 2 s after.',
  'Word → delta: from a word\'s end (word timestamps of a file transcription of the same audio) to the delta that first holds it (delta words matched to the reference in order).',
  'Speech end → completed: from the turn\'s last word\'s end to its `completed` (this includes the 500 ms of silence that ends a turn); stopped → completed: from `speech_stopped` to `completed`.',
  'WER: the turns\' final texts against the file transcription of the whole recording (turns lose the context of the sentence before them).',
  '**The machine was shared with other work while this ran** (other helpers\' builds, tests and benches on the same 2 cores): the figures are one run under that load, not a controlled measurement.',
  '',
  '| model | 5 s probe s | delta words (unmatched) | word → delta median s | p90 s | turns | speech end → completed median s | p90 s | stopped → completed median s | delta words the final changed | final WER vs file |',
  '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ...rows.map((r) => `| ${r.name} | ${f(r.probe)} | ${r.deltaWords} (${r.unmatched}) | ${f(quantile(r.words, 0.5))} | ${f(quantile(r.words, 0.9))} | ${r.turns} | ${f(quantile(r.completed, 0.5))} | ${f(quantile(r.completed, 0.9))} | ${f(quantile(r.fromStop, 0.5))} | ${r.deltaChanged} of ${r.deltaWords2} | ${(r.errors / r.refWords).toFixed(3)} |`),
  '',
].join('\n');
fs.writeFileSync(path.join(here, 'LIVE.md'), section);
const resultsPath = path.join(here, 'RESULTS.md');
let results = fs.existsSync(resultsPath) ? fs.readFileSync(resultsPath, 'utf8') : '';
const at = results.indexOf('## Live transcription latency');
if (at >= 0) {
  const end = results.indexOf('\n## ', at + 1);
  results = results.slice(0, at) + section + (end >= 0 ? '\n' + results.slice(end + 1) : '');
} else {
  const notes = results.indexOf('## Notes on these figures');
  results = notes >= 0 ? results.slice(0, notes) + section + '\n' + results.slice(notes) : results + '\n' + section;
}
fs.writeFileSync(resultsPath, results);
console.error('wrote bench/LIVE.md and its section of bench/RESULTS.md');
console.log(section);
