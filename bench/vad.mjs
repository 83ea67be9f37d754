#!/usr/bin/env node
// Silero VAD over one hour (bench/hour.mjs: the English fixtures joined, decoded once by ffmpeg to
// 16 kHz 16-bit PCM): the wall time of getSpeechTimestamps and the process's peak RSS, each run in a
// fresh process so that the peak is the VAD's (the hour's float samples, 230 MB, are in it).
// Writes bench/VAD.md (kept by bench/run.mjs, which rewrites RESULTS.md) and its section of
// bench/RESULTS.md (## VAD, one hour): one row per variant, a row with the same label replaced.
// A variant is a label and the lib/index.js to run (default: this checkout's, "current"); with
// several, their runs take turns, so that a loaded machine weighs on each alike.
//   node bench/vad.mjs [--runs 3] [--variant "label=/path/to/lib/index.js"]... [--no-write]
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { hourOfPcm } from './hour.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const fixtures = process.env.CT2_WHISPER_FIXTURES || path.resolve(here, '..', '..', 'shared', 'fixtures');
const arg = (name, def) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : def;
};

/** One run, in this (child) process: the hour read, the VAD timed, the peak RSS. */
async function child(pcmFile, lib) {
  const { getSpeechTimestamps } = await import(lib);
  // Read 1 MiB at a time, so that the int16 file is never in memory whole.
  const audio = new Float32Array(fs.statSync(pcmFile).size / 2);
  const piece = Buffer.alloc(1 << 20);
  const fd = fs.openSync(pcmFile, 'r');
  for (let at = 0, n; (n = fs.readSync(fd, piece, 0, piece.length, at * 2)) > 0; at += n / 2) {
    for (let i = 0; i < n / 2; i++) audio[at + i] = piece.readInt16LE(2 * i) / 32768;
  }
  fs.closeSync(fd);
  const rssBefore = process.memoryUsage().rss / 2 ** 20;
  const started = process.hrtime.bigint();
  const chunks = await getSpeechTimestamps(audio, { minSilenceDurationMs: 160, maxSpeechDurationS: 30 });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const peak = process.resourceUsage().maxRSS / 1024;
  console.log(JSON.stringify({ seconds, peak, rssBefore, chunks: chunks.length }));
}

function pcmOfHour(work) {
  const samples = (name) => {
    const out = path.join(work, `${name}.s16`);
    const r = spawnSync('ffmpeg', ['-nostdin', '-loglevel', 'error', '-i', path.join(fixtures, 'audio', name), '-ac', '1', '-ar', '16000', '-f', 's16le', out]);
    if (r.status !== 0) throw new Error(`ffmpeg failed on ${name}: ${r.stderr}`);
    return out;
  };
  const file = path.join(work, 'hour.s16');
  fs.writeFileSync(file, hourOfPcm(samples));
  return file;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function writeSection(newRows) {
  const file = path.join(here, 'VAD.md');
  const old = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
  const labels = newRows.map((row) => row.split(' | ')[0]);
  const rows = old.split('\n').filter((l) => l.startsWith('| ') && !l.startsWith('| runtime') && !l.startsWith('| ---') && !labels.includes(l.split(' | ')[0]));
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  const section = `## VAD, one hour

Written by \`node bench/vad.mjs\`: Silero VAD v6 (getSpeechTimestamps, min_silence 160 ms, max speech 30 s:
the batched pipeline's settings) over one hour of the English fixtures joined (bench/hour.mjs), ${os.availableParallelism()} cores (${cpu}),
one fresh process per run, median of the runs. Peak RSS is the whole process's over its life, which includes the hour's
samples (220 MiB of float32, read from the int16 file 1 MiB at a time); RSS before VAD is the process's RSS when the VAD is
called. Variants' runs take turns. The machine was shared with other work (other builds and test suites), so
compare the rows of one table, not absolute values.

| runtime | runs | VAD s (median) | VAD s (all) | peak RSS MiB | RSS before VAD MiB | speech chunks |
| --- | ---: | ---: | --- | ---: | ---: | ---: |
${[...rows, ...newRows].join('\n')}
`;
  fs.writeFileSync(file, section);
  const results = path.join(here, 'RESULTS.md');
  const text = fs.readFileSync(results, 'utf8');
  const start = text.indexOf('## VAD, one hour');
  const next = start >= 0 ? text.indexOf('\n## ', start + 3) : -1;
  const at = text.indexOf('## Diarization');
  const updated = start >= 0 ? `${text.slice(0, start)}${section}${next >= 0 ? text.slice(next) : ''}`
    : at >= 0 ? `${text.slice(0, at)}${section}\n${text.slice(at)}` : `${text.trimEnd()}\n\n${section}`;
  fs.writeFileSync(results, updated);
}

/** The variants: [label, lib/index.js] from --variant "label=path", else this checkout's. */
function variants() {
  const list = [];
  process.argv.forEach((a, i) => {
    if (a !== '--variant') return;
    const v = process.argv[i + 1];
    const at = v.lastIndexOf('=');
    list.push([v.slice(0, at), path.resolve(v.slice(at + 1))]);
  });
  return list.length ? list : [['current', path.join(here, '..', 'lib', 'index.js')]];
}

function runOnce(pcm, lib) {
  const r = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--child', pcm, lib], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  if (r.status !== 0) throw new Error(`a run of ${lib} failed`);
  return JSON.parse(r.stdout.trim().split('\n').pop());
}

if (process.argv[2] === '--child') {
  await child(process.argv[3], pathToFileURL(process.argv[4]).href);
} else {
  const runs = Number(arg('--runs', '3'));
  const list = variants();
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'ct2w-vad-bench-'));
  try {
    const pcm = pcmOfHour(work);
    const results = list.map(() => []);
    for (let i = 0; i < runs; i++) {
      list.forEach(([label, lib], v) => {
        results[v].push(runOnce(pcm, lib));
        console.log(label, JSON.stringify(results[v].at(-1)));
      });
    }
    const rows = list.map(([label], v) => {
      const r = results[v];
      return `| ${label} | ${runs} | ${median(r.map((x) => x.seconds)).toFixed(2)} | ${r.map((x) => x.seconds.toFixed(2)).join(', ')} | ` +
        `${Math.round(median(r.map((x) => x.peak)))} | ${Math.round(median(r.map((x) => x.rssBefore)))} | ${r[0].chunks} |`;
    });
    console.log(rows.join('\n'));
    if (!process.argv.includes('--no-write')) writeSection(rows);
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}
