#!/usr/bin/env node
// Live transcription latency (model.live, the library's streaming transcriber): recordings fed
// at real time in 100 ms chunks; for each word that appears in a delta, the time from the word's
// end in the audio (word timestamps of a file transcription of the same audio) to the delta's
// arrival; for each turn, from the end of its speech (its last word's end) to `completed`; and
// the WER of the turns' final texts against a file transcription of the whole recording. Then
// sessions at once: the server (`serve`'s /v1/realtime, in this process) with N WebSocket clients,
// each streaming a recording (PCM16, 16 kHz) at real time, staggered by 0.7 s; the same figures.
// Recordings: jfk.flac, gettysburg.wav, hotwords.mp3 (fixtures) and a passage spoken by espeak-ng
// (synthetic, made here). CPU int8, 2 threads. Writes bench/LIVE.md and its section of RESULTS.md.
// Usage: node bench/live.mjs [--models tiny.en,base] [--sessions 1,2,3,4]
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';
import { WhisperModel, decodeAudio } from '../lib/index.js';
import { startServer } from '../lib/server/app.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..');
const fixtures = process.env.CT2_WHISPER_FIXTURES || path.resolve(root, '..', 'shared', 'fixtures');
const cache = process.env.CT2_WHISPER_CACHE || path.join(os.homedir(), '.cache', 'ct2-whisper');
const args = process.argv.slice(2);
const arg = (name, fallback) => (args.includes(name) ? args[args.indexOf(name) + 1] : fallback);
const models = arg('--models', 'tiny.en,base').split(',');
const sessionCounts = arg('--sessions', '1,2,3,4').split(',').filter(Boolean).map(Number);
const LOAD = { device: 'cpu', computeType: 'int8', cpuThreads: 2 };

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


/** One recording's live events (library-shaped: delta, speech_stopped, completed with its audio span; `at` in ms from its feed's start) scored into `all`. */
function score(all, events, refWords, refText) {
  const { latencies, unmatched } = wordLatencies(events, refWords);
  all.words.push(...latencies);
  all.unmatched += unmatched;
  all.deltaWords += latencies.length + unmatched;
  const completed = events.filter((e) => e.type === 'completed');
  for (const c of completed) {
    const sent = wordsOf(events.filter((e) => e.type === 'delta' && e.itemId === c.itemId).map((e) => e.delta).join(''));
    const final = wordsOf(c.text);
    all.sentWords += sent.length;
    all.sentChanged += sent.filter((w, i) => final[i] !== w).length;
    const inTurn = refWords.filter((w) => w.end * 1000 > c.audioStartMs && w.start * 1000 < c.audioEndMs);
    const stop = events.find((e) => e.type === 'speech_stopped' && e.itemId === c.itemId);
    if (inTurn.length) all.completed.push(c.at / 1000 - Math.min(inTurn.at(-1).end, c.audioEndMs / 1000));
    if (stop) all.fromStop.push((c.at - stop.at) / 1000);
    all.turns++;
  }
  const w = wer(refText, completed.map((e) => e.text).join(' '));
  all.errors += w.errors;
  all.refWords += w.words;
  return { deltaWords: latencies.length, turns: completed.length, wer: w.errors / w.words };
}

const emptyStats = () => ({ words: [], completed: [], fromStop: [], errors: 0, refWords: 0, unmatched: 0, deltaWords: 0, turns: 0, sentWords: 0, sentChanged: 0 });

/** Streams `audio` to a realtime session at real time from `delayMs` on; resolves with its events, library-shaped. */
async function realtimeSession(url, modelName, audio, delayMs) {
  await new Promise((r) => setTimeout(r, delayMs));
  const ws = new WebSocket(`${url.replace(/^http/, 'ws')}/v1/realtime?intent=transcription&model=${modelName}`);
  const events = [];
  const spans = new Map();
  let t0 = 0;
  let closeWhen = () => false;
  let done = () => {};
  const finished = new Promise((resolve, reject) => {
    done = () => resolve(events);
    ws.on('error', reject);
    ws.on('message', (data) => {
      const e = JSON.parse(data.toString());
      const at = performance.now() - t0;
      const span = spans.get(e.item_id) ?? {};
      if (e.type === 'input_audio_buffer.speech_started') spans.set(e.item_id, { ...span, audioStartMs: e.audio_start_ms });
      if (e.type === 'input_audio_buffer.speech_stopped') {
        spans.set(e.item_id, { ...span, audioEndMs: e.audio_end_ms });
        events.push({ type: 'speech_stopped', itemId: e.item_id, at });
      }
      if (e.type === 'conversation.item.input_audio_transcription.delta') events.push({ type: 'delta', itemId: e.item_id, delta: e.delta, at });
      if (e.type === 'conversation.item.input_audio_transcription.completed') events.push({ type: 'completed', itemId: e.item_id, text: e.transcript, ...span, at });
      if (e.type === 'error') events.push({ type: 'error', message: e.error.message, at });
      if (closeWhen()) done();
    });
  });
  await new Promise((resolve) => ws.once('open', resolve));
  ws.send(JSON.stringify({ type: 'session.update', session: { type: 'transcription', audio: { input: { format: { type: 'audio/pcm', rate: 16000 }, transcription: { model: modelName, language: 'en' } } } } }));
  const pcm = Buffer.alloc(audio.length * 2);
  audio.forEach((v, i) => pcm.writeInt16LE(Math.max(-32768, Math.min(32767, Math.round(v * 32767))), i * 2));
  t0 = performance.now();
  for (let i = 0; i < pcm.length; i += 3200) {
    ws.send(JSON.stringify({ type: 'input_audio_buffer.append', audio: pcm.subarray(i, i + 3200).toString('base64') }));
    const wait = (i + 3200) / 32 - (performance.now() - t0);
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  }
  // Done once every item stopped has its completed (the recording ends in 2 s of silence).
  closeWhen = () => events.filter((e) => e.type === 'completed').length >= events.filter((e) => e.type === 'speech_stopped').length;
  if (closeWhen()) done();
  const timer = setTimeout(done, 60_000);
  const out = await finished;
  clearTimeout(timer);
  ws.close();
  return out;
}

const rows = [];
const sessionRows = [];
for (const name of models) {
  const model = await WhisperModel.load(path.join(cache, 'models', name), LOAD);
  await model.transcribe(recordings[0][1].subarray(0, 32000)); // warm-up
  const probe = await loadProbe(model, recordings[0][1]);
  const refs = [];
  for (const [, audio] of recordings) {
    const ref = await model.transcribe(audio, { wordTimestamps: true });
    refs.push({ words: ref.segments.flatMap((s) => s.words ?? []), text: ref.segments.map((s) => s.text).join(' ') });
  }
  const all = { ...emptyStats(), probe, load: os.loadavg()[0] };
  for (const [i, [file, audio]] of recordings.entries()) {
    const r = score(all, await feed(model, audio), refs[i].words, refs[i].text);
    console.error(`${name} ${file}: ${r.deltaWords} delta words, ${r.turns} turns, WER ${r.wer.toFixed(3)}`);
  }
  model.dispose();
  rows.push({ name, ...all, loadEnd: os.loadavg()[0] });
  if (!sessionCounts.length) continue;
  const server = await startServer({ models: [{ id: name, dir: path.join(cache, 'models', name) }], load: LOAD, realtime: { maxSessions: 64 } }, '127.0.0.1', 0);
  try {
    for (const n of sessionCounts) {
      const stats = { ...emptyStats(), load: os.loadavg()[0] };
      const runs = await Promise.all(Array.from({ length: n }, (_, k) => realtimeSession(server.url, name, recordings[k % recordings.length][1], k * 700)));
      runs.forEach((events, k) => score(stats, events, refs[k % recordings.length].words, refs[k % recordings.length].text));
      const errors = runs.flat().filter((e) => e.type === 'error');
      sessionRows.push({ name, n, ...stats, errors: errors.length, loadEnd: os.loadavg()[0] });
      console.error(`${name} ${n} sessions: completed p90 ${quantile(stats.completed, 0.9).toFixed(2)} s, ${errors.length} errors ${JSON.stringify([...new Set(errors.map((e) => e.message))])}`);
    }
  } finally {
    await server.close();
  }
}

const f = (x) => (Number.isFinite(x) ? x.toFixed(2) : '–');
const l = (r) => `${r.load.toFixed(1)}–${r.loadEnd.toFixed(1)}`;
const figures = (r) => `${f(quantile(r.words, 0.5))} | ${f(quantile(r.words, 0.9))} | ${r.turns} | ${f(quantile(r.completed, 0.5))} | ${f(quantile(r.completed, 0.9))} | ${f(quantile(r.fromStop, 0.5))} | ${r.sentChanged} of ${r.sentWords} | ${(r.errors / r.refWords).toFixed(3)}`;
/** Whether other work shared the machine: a load average above the cores (the bench itself keeps about two busy). */
const sharedNote = (all) => (Math.max(...all.flatMap((r) => [r.load, r.loadEnd])) > os.availableParallelism()
  ? '**The machine was shared with other work while this ran** (see the load and the probe): the figures are one run under that load, not a controlled measurement.'
  : 'No other work ran on the machine (the load is the bench\'s own): one run, on a quiet machine.');
/** Sessions sustained: every item of every session completed within 2 s of its speech's end (p100), no error. */
const sustained = (name) => Math.max(0, ...sessionRows.filter((r) => r.name === name && r.errors === 0 && Math.max(...r.completed) <= 2).map((r) => r.n));
const section = [
  '## Live transcription latency (bench/live.mjs)',
  '',
  `Written by \`node bench/live.mjs\` on ${new Date().toISOString().slice(0, 10)}: ${os.availableParallelism()} cores (${os.cpus()[0]?.model ?? 'CPU'}); the load average (1 min) at the start and end of each row is in its load column.`,
  'Reproduce (on an idle machine, after the build: `node scripts/build-native.mjs && npx tsc -p tsconfig.json`, models fetched): `node bench/live.mjs --models tiny.en,base --sessions 1,2,3,4` (about 8 minutes).',
  'model.live() with its defaults (Silero turns: threshold 0.5, 300 ms padding, 500 ms silence; partial decodings greedy, text only, back to back once 300 ms of new audio has come; a turn\'s final decoding, with the session\'s options, begins 200 ms into a silence), CPU int8, 2 threads;',
  'recordings fed at real time in 100 ms chunks: jfk.flac, gettysburg.wav, hotwords.mp3 (fixtures) and a 4-sentence passage by espeak-ng, each with 1 s of silence before and 2 s after.',
  '5 s probe: the median time of a file transcription of 5 s of jfk.flac (default options) just before the row: what the machine gave the model then (on an idle machine of this kind it is several times less than under load).',
  'Word → delta: from a word\'s end (word timestamps of a file transcription of the same audio) to the delta that first holds it (delta words matched to the reference in order).',
  'Speech end → completed: from the turn\'s last word\'s end to its `completed` (this includes the silence that ends a turn: its item is transcribed from 200 ms into it, and `completed` waits for the 500 ms); stopped → completed: from `speech_stopped` to `completed`.',
  'Delta words the final changed: words sent as deltas that are not the word at the same place of the item\'s completed text (deltas are never taken back; the final may differ).',
  'WER: the turns\' final texts against the file transcription of the whole recording (turns lose the context of the sentence before them).',
  sharedNote([...rows, ...sessionRows]),
  '',
  '| model | load | 5 s probe s | delta words (unmatched) | word → delta median s | p90 s | turns | speech end → completed median s | p90 s | stopped → completed median s | delta words the final changed | final WER vs file |',
  '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ...rows.map((r) => `| ${r.name} | ${l(r)} | ${f(r.probe)} | ${r.deltaWords} (${r.unmatched}) | ${figures(r)} |`),
  '',
  ...(sessionRows.length ? [
    `Sessions at once: \`serve\` (in the bench's process, its scheduler batching partial decodings) with N WebSocket clients, session k streaming recording k mod 4 (PCM16 at 16 kHz, 100 ms appends) from k × 0.7 s on. Sustained at real time: every item of every session completed within 2 s of its speech's end, with no error event: ${models.map((m) => `${m} ${sustained(m)}`).join(', ')} (of ${sessionCounts.join(', ')} tried).`,
    '',
    '| model | sessions | load | word → delta median s | p90 s | turns | speech end → completed median s | p90 s | stopped → completed median s | delta words the final changed | final WER vs file | max speech end → completed s | errors |',
    '| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...sessionRows.map((r) => `| ${r.name} | ${r.n} | ${l(r)} | ${figures(r)} | ${f(Math.max(...r.completed))} | ${r.errors} |`),
    '',
  ] : []),
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
