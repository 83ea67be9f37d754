#!/usr/bin/env node
// `ct2-whisper serve` under load: requests per minute and p50/p95 latency for 1, 4 and 16
// concurrent clients on short clips (pieces of jfk.flac and gettysburg.wav, 3-11 s), with the
// server's cross-request batching on and off; one server per mode (tiny.en, CPU, 2 threads).
// Writes bench/SERVE.md and its section of bench/RESULTS.md (bench/run.mjs appends SERVE.md too).
// Usage: node bench/serve.mjs [--model tiny.en] [--requests-per-client 2]
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { decodeAudio } from '../lib/audio.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..');
const fixtures = process.env.CT2_WHISPER_FIXTURES || path.resolve(root, '..', 'shared', 'fixtures');
const args = process.argv.slice(2);
const arg = (name, fallback) => (args.includes(name) ? args[args.indexOf(name) + 1] : fallback);
const model = arg('--model', 'tiny.en');
const perClient = Number(arg('--requests-per-client', '2'));
const CLIENTS = [1, 4, 16];
const BATCH_SIZE = 8;

function wav(samples) {
  const b = Buffer.alloc(44 + samples.length * 2);
  b.write('RIFF', 0); b.writeUInt32LE(36 + samples.length * 2, 4); b.write('WAVEfmt ', 8);
  b.writeUInt32LE(16, 16); b.writeUInt16LE(1, 20); b.writeUInt16LE(1, 22); b.writeUInt32LE(16000, 24);
  b.writeUInt32LE(32000, 28); b.writeUInt16LE(2, 32); b.writeUInt16LE(16, 34); b.write('data', 36);
  b.writeUInt32LE(samples.length * 2, 40);
  samples.forEach((s, i) => b.writeInt16LE(Math.round(Math.max(-1, Math.min(1, s)) * 32767), 44 + i * 2));
  return b;
}

const [jfk] = await decodeAudio(path.join(fixtures, 'audio', 'jfk.flac'));
const [gb] = await decodeAudio(path.join(fixtures, 'audio', 'gettysburg.wav'));
const s = 16000;
const clips = [jfk, gb, jfk.subarray(0, 5 * s), jfk.subarray(4 * s), gb.subarray(0, 4 * s), gb.subarray(3 * s), jfk.subarray(2 * s, 8 * s), gb.subarray(s, 7 * s)].map(wav);

async function startServer(batching) {
  const child = spawn(process.execPath, [path.join(root, 'lib', 'cli.js'), 'serve', '--port', '0', '--model', model, '--threads', '2',
    '--batch-size', String(BATCH_SIZE), '--batching', String(batching), '--max-queue', '1000'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  const url = await new Promise((resolve, reject) => {
    child.stderr.on('data', (b) => { err += b; const m = /on (http:\/\/[^\s;,]+)/.exec(err); if (m) resolve(m[1]); });
    child.on('exit', (c) => reject(new Error(`serve exited (${c}): ${err}`)));
  });
  return { url, stop: () => new Promise((r) => { child.once('exit', r); child.kill('SIGTERM'); }) };
}

async function request(url, i) {
  const form = new FormData();
  form.set('file', new Blob([clips[i % clips.length]]), `clip${i}.wav`);
  form.set('model', 'whisper-1');
  const started = performance.now();
  const r = await fetch(`${url}/v1/audio/transcriptions`, { method: 'POST', body: form });
  if (!r.ok) throw new Error(`HTTP ${r.status}: ${await r.text()}`);
  await r.json();
  return (performance.now() - started) / 1000;
}

const pct = (xs, p) => { const v = [...xs].sort((a, b) => a - b); return v[Math.min(v.length - 1, Math.ceil((p / 100) * v.length) - 1)]; };
const stats = async (url) => (await (await fetch(`${url}/health`)).json()).scheduler;

const rows = [];
for (const batching of [true, false]) {
  const server = await startServer(batching);
  try {
    await request(server.url, 0); // model load and warm-up
    for (const clients of CLIENTS) {
      const total = clients * perClient;
      let next = 0;
      const latencies = [];
      const before = await stats(server.url);
      const started = performance.now();
      await Promise.all(Array.from({ length: clients }, async () => {
        while (next < total) latencies.push(await request(server.url, next++));
      }));
      const wall = (performance.now() - started) / 1000;
      const after = await stats(server.url);
      const row = { batching, clients, total, wall, rpm: (60 * total) / wall, p50: pct(latencies, 50), p95: pct(latencies, 95),
        calls: after.engine_calls - before.engine_calls, batches: after.encoder_batches - before.encoder_batches };
      rows.push(row);
      console.error(`batching ${batching ? 'on ' : 'off'} ${String(clients).padStart(2)} clients: ${row.rpm.toFixed(0)} req/min, p50 ${row.p50.toFixed(2)} s, p95 ${row.p95.toFixed(2)} s, ${row.calls} calls, ${row.batches} encoder batches`);
    }
  } finally {
    await server.stop();
  }
}

const cpu = (fs.readFileSync('/proc/cpuinfo', 'utf8').match(/model name\s*:\s*(.*)/) || [, 'unknown'])[1];
const section = [
  '## serve: concurrent clients (bench/serve.mjs)',
  '',
  `Written by \`node bench/serve.mjs\` on ${new Date().toISOString().slice(0, 10)}: ${os.cpus().length} cores (${cpu}). One \`ct2-whisper serve\` per mode`,
  `(${model}, CPU int8, 2 threads, --batch-size ${BATCH_SIZE}); each client sends ${perClient} requests one after another (json, whisper-1) from ${clips.length} clips`,
  'of 4-11 s (pieces of jfk.flac and gettysburg.wav; one speech chunk each), after one warm-up request. Latency is from the upload to the parsed answer.',
  'Each clip is one speech chunk, padded to a 30 s window whether it is batched or not, so sharing batches saves work only where a batch of windows costs less than the windows one by one (a GPU); on a small CPU one request already keeps the cores busy.',
  '**The machine was shared with other work while this ran** (two cores, other builds and test suites at times): the figures are one short run, not a controlled measurement; compare the two modes, not absolute values.',
  '',
  '| batching | clients | requests | wall s | requests/min | p50 s | p95 s | engine calls | encoder batches |',
  '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ...rows.map((r) => `| ${r.batching ? 'on' : 'off'} | ${r.clients} | ${r.total} | ${r.wall.toFixed(1)} | ${r.rpm.toFixed(0)} | ${r.p50.toFixed(2)} | ${r.p95.toFixed(2)} | ${r.calls} | ${r.batches} |`),
  '',
].join('\n');
fs.writeFileSync(path.join(here, 'SERVE.md'), section);
const resultsPath = path.join(here, 'RESULTS.md');
let results = fs.existsSync(resultsPath) ? fs.readFileSync(resultsPath, 'utf8') : '';
const at = results.indexOf('## serve: concurrent clients');
if (at >= 0) {
  const end = results.indexOf('\n## ', at + 1);
  results = results.slice(0, at) + section + (end >= 0 ? '\n' + results.slice(end + 1) : '');
} else {
  const notes = results.indexOf('## Notes on these figures');
  results = notes >= 0 ? results.slice(0, notes) + section + '\n' + results.slice(notes) : results + '\n' + section;
}
fs.writeFileSync(resultsPath, results);
console.error('wrote bench/SERVE.md and its section of bench/RESULTS.md');
