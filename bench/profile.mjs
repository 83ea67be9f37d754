#!/usr/bin/env node
// Where the time goes, stage by stage, in faster-whisper and in ct2-whisper: one transcription of
// an audio file per engine and case (bench/fw_profile.py wraps faster-whisper's functions and its
// CTranslate2 model from outside; bench/ct2w_profile.mjs reads our library's onTimings). Writes
// bench/PROFILE.md, which bench/run.mjs includes in bench/RESULTS.md.
// Usage: node bench/profile.mjs [--duration-hour]   (faster-whisper's venv: node bench/run.mjs makes it)
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { hourOfPcm, wavHeader } from './hour.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const cache = process.env.CT2_WHISPER_CACHE || path.join(os.homedir(), '.cache', 'ct2-whisper');
const fixtures = process.env.CT2_WHISPER_FIXTURES || path.resolve(here, '..', '..', 'shared', 'fixtures');
const py = path.join(cache, 'bench-venv', 'bin', 'python');
if (!fs.existsSync(py)) throw new Error(`no faster-whisper venv at ${py}: run node bench/run.mjs --quick once`);
const hour = process.argv.includes('--duration-hour');
const threads = 2;

function sh(cmd, argv) {
  const r = spawnSync(cmd, argv, { encoding: 'utf8', maxBuffer: 256 << 20 });
  if (r.status !== 0) throw new Error(`${cmd} ${argv.join(' ')}: ${(r.stderr || '').trim().split('\n').slice(-3).join(' / ')}`);
  return JSON.parse(r.stdout.trim().split('\n').pop());
}

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'ct2w-profile-'));
process.on('exit', () => fs.rmSync(work, { recursive: true, force: true }));
/** The benches' hour (bench/hour.mjs) as a 16 kHz mono WAV file. */
function hourFile() {
  const out = path.join(work, 'hour.wav');
  if (fs.existsSync(out)) return out;
  const pcm = hourOfPcm((n) => {
    const s16 = path.join(work, `${n}.s16`);
    spawnSync('ffmpeg', ['-nostdin', '-loglevel', 'error', '-i', path.join(fixtures, 'audio', n), '-ac', '1', '-ar', '16000', '-f', 's16le', s16]);
    return s16;
  });
  fs.writeFileSync(out, Buffer.concat([wavHeader(pcm.length), pcm]));
  return out;
}

const audio = (n) => path.join(fixtures, 'audio', n);
const CASES = [
  { model: 'tiny.en', file: 'Arthur.mp3', options: { beam_size: 5 } },
  { model: 'tiny.en', file: 'Arthur.mp3', options: { beam_size: 5, word_timestamps: true } },
  { model: 'tiny.en', file: 'Arthur.mp3', options: { batch_size: 8 } },
  { model: 'base', file: 'NM014.mp3', options: { beam_size: 5 } },
  { model: 'base', file: 'NM014.mp3', options: { batch_size: 8, word_timestamps: true } },
  ...(hour ? [
    { model: 'tiny.en', file: 'one hour', path: hourFile, options: { beam_size: 5 } },
    { model: 'tiny.en', file: 'one hour', path: hourFile, options: { batch_size: 8 } },
  ] : []),
];

const STAGES = ['decode', 'vad', 'features', 'encode', 'language', 'generate', 'align'];
const lines = [
  '## Profile: where the time goes (`node bench/profile.mjs' + (hour ? ' --duration-hour' : '') + '`)',
  '',
  `${new Date().toISOString().slice(0, 10)}, ${os.cpus().length} cores, CPU int8, ${threads} threads, one run per engine and case, from the audio file`,
  '(decoding included). faster-whisper\'s stages are timed by wrapping its functions and its CTranslate2 model from',
  'outside (bench/fw_profile.py); ours come from the library\'s `onTimings` (native stage timers). "other" is the',
  'call\'s time outside the named stages (Python/JS glue, prompts, tokenizer, segment building, JS↔native).',
  '',
];
for (const c of CASES) {
  const file = c.path ? c.path() : audio(c.file);
  const opts = JSON.stringify({ ...c.options, load: { device: 'cpu', compute_type: 'int8', cpu_threads: threads } });
  const dir = path.join(cache, 'models', c.model);
  const fw = sh(py, [path.join(here, 'fw_profile.py'), dir, file, opts]);
  const us = sh(process.execPath, [path.join(here, 'ct2w_profile.mjs'), dir, file, opts]);
  const label = `${c.model}, ${c.file}, ${Object.entries(c.options).map(([k, v]) => `${k}=${v}`).join(' ')}`;
  console.error(`${label}: faster-whisper ${fw.total.toFixed(2)} s, ct2-whisper ${us.total.toFixed(2)} s`);
  const pct = (x, total) => `${((100 * x) / total).toFixed(0)}%`;
  const other = (r) => r.total - STAGES.reduce((s, k) => s + (r.stages[k] || 0), 0);
  lines.push(`### ${label}`, '', '| stage | faster-whisper s | share | ct2-whisper s | share |', '| --- | ---: | ---: | ---: | ---: |');
  for (const k of STAGES) {
    if (!fw.stages[k] && !us.stages[k]) continue;
    lines.push(`| ${k} | ${fw.stages[k].toFixed(2)} | ${pct(fw.stages[k], fw.total)} | ${us.stages[k].toFixed(2)} | ${pct(us.stages[k], us.total)} |`);
  }
  lines.push(
    `| other | ${other(fw).toFixed(2)} | ${pct(other(fw), fw.total)} | ${other(us).toFixed(2)} | ${pct(other(us), us.total)} |`,
    `| **transcribe call** | **${fw.total.toFixed(2)}** | | **${us.total.toFixed(2)}** | ratio ${(us.total / fw.total).toFixed(2)} |`,
    `| first segment | ${fw.first_segment.toFixed(2)} | | ${us.first_segment.toFixed(2)} | ratio ${(us.first_segment / fw.first_segment).toFixed(2)} |`,
    `| model load + imports | ${fw.load.toFixed(2)} | | ${us.load.toFixed(2)} | |`,
    `| peak RSS MB | ${fw.peak_rss_mb.toFixed(0)} | | ${us.peak_rss_mb.toFixed(0)} | |`,
    `| segments | ${fw.segments} | | ${us.segments} | |`,
    '',
  );
}
fs.writeFileSync(path.join(here, 'PROFILE.md'), lines.join('\n') + '\n');
console.error('wrote bench/PROFILE.md');
