#!/usr/bin/env node
// Side-by-side benchmark: faster-whisper (installed from PyPI into a venv of its own) and
// ct2-whisper, on the same model directory and the same decoded samples, one process per run.
// Writes bench/RESULTS.md. Usage: node bench/run.mjs [--quick] [--repeat N] [--duration-hour]
// --duration-hour adds cases on one hour of audio made by concatenating the English fixtures'
// samples (Arthur, NM014, gettysburg, jfk, over and over), run once each.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { pinned } from '../scripts/ctranslate2-release.mjs';
import { wordErrorRate } from '../test/helpers.mjs';
import { hourOfPcm } from './hour.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..');
const cache = process.env.CT2_WHISPER_CACHE || path.join(os.homedir(), '.cache', 'ct2-whisper');
const fixtures = process.env.CT2_WHISPER_FIXTURES || path.resolve(root, '..', 'shared', 'fixtures');
const FW_VERSION = '1.2.1';
const args = process.argv.slice(2);
const quick = args.includes('--quick');
const repeat = Number(args[args.indexOf('--repeat') + 1]) || (quick ? 1 : 2);
const hour = args.includes('--duration-hour');
const threads = 2;

function sh(cmd, argv, opts = {}) {
  const r = spawnSync(cmd, argv, { encoding: 'utf8', maxBuffer: 256 << 20, ...opts });
  if (r.status !== 0) throw new Error(`${cmd} ${argv.join(' ')}: ${(r.stderr || '').trim().split('\n').slice(-3).join(' / ')}`);
  return r.stdout;
}

// faster-whisper in a venv of its own.
const venv = path.join(cache, 'bench-venv');
const py = path.join(venv, 'bin', 'python');
if (!fs.existsSync(py)) sh('python3', ['-m', 'venv', venv]);
// faster-whisper on the very CTranslate2 release our addon links, so both run the same library.
const CT2_VERSION = pinned().version;
sh(py, ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', `faster-whisper==${FW_VERSION}`, `ctranslate2==${CT2_VERSION}`]);
const fwVersions = sh(py, ['-c', 'import faster_whisper, ctranslate2; print(faster_whisper.__version__, ctranslate2.__version__)']).trim().split(' ');

// The same samples for both: decoded once by ffmpeg to 16 kHz mono 16-bit PCM (what
// faster-whisper's own decoder produces), read by both as float32 = int16 / 32768.
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'ct2w-bench-'));
process.on('exit', () => fs.rmSync(work, { recursive: true, force: true }));
function samples(name) {
  const out = path.join(work, `${name}.s16`);
  if (!fs.existsSync(out)) sh('ffmpeg', ['-nostdin', '-loglevel', 'error', '-i', path.join(fixtures, 'audio', name), '-ac', '1', '-ar', '16000', '-f', 's16le', out]);
  return out;
}

const HOUR = 'one-hour (English fixtures concatenated)';
function hourOfSamples() {
  const out = path.join(work, 'hour.s16');
  if (!fs.existsSync(out)) fs.writeFileSync(out, hourOfPcm(samples));
  return out;
}

const CASES = [
  { model: 'tiny.en', audio: 'jfk.flac', options: { beam_size: 5 } },
  { model: 'tiny.en', audio: 'Arthur.mp3', options: { beam_size: 5 } },
  { model: 'tiny.en', audio: 'Arthur.mp3', options: { beam_size: 5, word_timestamps: true } },
  { model: 'base', audio: 'jfk.flac', options: { beam_size: 5, word_timestamps: true } },
  { model: 'base', audio: 'NM014.mp3', options: { beam_size: 5 } },
  { model: 'base', audio: 'multilingual.mp3', options: { beam_size: 5 } },
  { model: 'tiny.en', audio: 'Arthur.mp3', options: { batch_size: 8 } },
  { model: 'base', audio: 'NM014.mp3', options: { batch_size: 8, word_timestamps: true } },
  { model: 'tiny.en', audio: 'Arthur.mp3', options: { beam_size: 5 }, computeType: 'float32' },
].filter((c, i) => !quick || i < 2).concat(hour ? [
  { model: 'tiny.en', audio: HOUR, options: { beam_size: 5 }, once: true },
  { model: 'tiny.en', audio: HOUR, options: { batch_size: 8 }, once: true },
] : []);

function runOne(engine, c) {
  const load = { device: 'cpu', compute_type: c.computeType ?? 'int8', cpu_threads: threads };
  const opts = JSON.stringify({ ...c.options, load });
  const modelDir = path.join(cache, 'models', c.model);
  const input = c.audio === HOUR ? hourOfSamples() : samples(c.audio);
  const started = performance.now();
  const out = engine === 'faster-whisper'
    ? sh(py, [path.join(here, 'fw_run.py'), modelDir, input, opts])
    : sh(process.execPath, [path.join(here, 'ct2w_run.mjs'), modelDir, input, opts]);
  // Whole-process wall time: interpreter start, imports, model load, transcription, exit.
  return { ...JSON.parse(out.trim().split('\n').pop()), wall_s: (performance.now() - started) / 1000 };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const rows = [];
for (const c of CASES) {
  const runs = { 'faster-whisper': [], 'ct2-whisper': [] };
  for (let i = 0; i < (c.once ? 1 : repeat); i++) {
    for (const engine of i % 2 ? ['ct2-whisper', 'faster-whisper'] : ['faster-whisper', 'ct2-whisper']) {
      runs[engine].push(runOne(engine, c));
    }
  }
  const fw = runs['faster-whisper'];
  const us = runs['ct2-whisper'];
  const text = (r) => r.segments.map((s) => s.text).join('');
  const sameText = text(fw[0]) === text(us[0]);
  const sameSegments = fw[0].segments.length === us[0].segments.length &&
    fw[0].segments.every((s, i) => Math.abs(s.start - us[0].segments[i].start) < 0.011 && Math.abs(s.end - us[0].segments[i].end) < 0.011);
  const row = {
    ...c,
    fwWall: median(fw.map((r) => r.wall_s)), usWall: median(us.map((r) => r.wall_s)),
    fwTime: median(fw.map((r) => r.transcribe_s)), usTime: median(us.map((r) => r.transcribe_s)),
    fwLoad: median(fw.map((r) => r.load_s)), usLoad: median(us.map((r) => r.load_s)),
    fwFirst: median(fw.map((r) => r.first_segment_s ?? NaN)), usFirst: median(us.map((r) => r.first_segment_s ?? NaN)),
    fwRss: Math.max(...fw.map((r) => r.peak_rss_mb)), usRss: Math.max(...us.map((r) => r.peak_rss_mb)),
    sameText, sameSegments, fwText: text(fw[0]), usText: text(us[0]), wer: wordErrorRate(text(fw[0]), text(us[0])),
  };
  rows.push(row);
  console.error(`${c.model} ${c.audio} ${c.computeType ?? 'int8'} ${JSON.stringify(c.options)}: faster-whisper ${row.fwWall.toFixed(2)} s wall ${row.fwRss.toFixed(0)} MB, ct2-whisper ${row.usWall.toFixed(2)} s wall ${row.usRss.toFixed(0)} MB, same text: ${sameText}`);
}

const cpu = (fs.readFileSync('/proc/cpuinfo', 'utf8').match(/model name\s*:\s*(.*)/) || [, 'unknown'])[1];
const lines = [
  '# Benchmarks: ct2-whisper vs faster-whisper',
  '',
  `Written by \`node bench/run.mjs${quick ? ' --quick' : ''}\` on ${new Date().toISOString().slice(0, 10)}: ${os.cpus().length} cores (${cpu}), ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB.`,
  `faster-whisper ${fwVersions[0]} (CTranslate2 ${fwVersions[1]}, from PyPI) and ct2-whisper (CTranslate2 ${CT2_VERSION}'s released library, from the same PyPI wheel), both on CPU, ${threads} threads, int8 unless the row says float32;`,
  'cases with batch_size use the batched pipeline (faster-whisper\'s BatchedInferencePipeline, Silero VAD chunks);',
  'the same model directory and the same samples (decoded once by ffmpeg to 16 kHz 16-bit PCM), one process per run,',
  `median of ${repeat} run(s), the two engines alternating. Wall is the whole process (start, imports, model load, transcription, exit);`,
  'transcribe excludes start-up and model loading; first segment: from the transcribe call to the first segment (faster-whisper: its generator\'s first item; ours: the first onSegment);',
  'peak memory is the whole process\'s peak RSS. Ratio: ours / faster-whisper\'s (below 1 is faster).',
  'WER vs fw: word error rate of our text against faster-whisper\'s (int8 is held to WER, float32 to identity).',
  '',
  '| model | audio | options | fw wall s | our wall s | wall ratio | fw transcribe s | our transcribe s | fw first segment s | our first segment s | first-segment ratio | fw peak MB | our peak MB | load s (fw / ours) | same text | WER vs fw | same segment times |',
  '| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- | ---: | --- |',
  ...rows.map((r) => `| ${r.model} | ${r.audio} | ${[...Object.entries(r.options).map(([k, v]) => `${k}=${v}`), ...(r.computeType ? [r.computeType] : [])].join(' ')} | ${r.fwWall.toFixed(2)} | ${r.usWall.toFixed(2)} | ${(r.usWall / r.fwWall).toFixed(2)} | ${r.fwTime.toFixed(2)} | ${r.usTime.toFixed(2)} | ${r.fwFirst.toFixed(2)} | ${r.usFirst.toFixed(2)} | ${(r.usFirst / r.fwFirst).toFixed(2)} | ${r.fwRss.toFixed(0)} | ${r.usRss.toFixed(0)} | ${r.fwLoad.toFixed(2)} / ${r.usLoad.toFixed(2)} | ${r.sameText ? 'yes' : 'no'} | ${(100 * r.wer).toFixed(1)}% | ${r.sameSegments ? 'yes' : 'no'} |`),
  '',
];
const diffs = rows.filter((r) => !r.sameText);
if (diffs.length) {
  lines.push('## Where the texts differ', '');
  for (const r of diffs) {
    // Long texts: where they part, with some context (a whole hour's text helps nobody).
    const [fwText, usText] = [r.fwText.trim(), r.usText.trim()];
    let at = 0;
    while (at < fwText.length && fwText[at] === usText[at]) at++;
    const cut = (t) => (t.length <= 2000 ? t : `${at > 300 ? `[${at - 300} characters in common] …` : ''}${t.slice(Math.max(0, at - 300), at + 1200)} … [${t.length} characters in all]`);
    const long = fwText.length > 2000 || usText.length > 2000;
    lines.push(`### ${r.model}, ${r.audio}, ${r.computeType ?? 'int8'}, ${JSON.stringify(r.options)}`, '', '```', `faster-whisper: ${long ? cut(fwText) : fwText}`, '', `ct2-whisper:    ${long ? cut(usText) : usText}`, '```', '');
  }
}
for (const extra of ['PROFILE.md', 'SERVE.md', 'VAD.md', 'DIARIZE.md', 'TIMING.md', 'NOTES.md', 'HISTORY.md'].map((f) => path.join(here, f))) {
  if (fs.existsSync(extra)) lines.push(fs.readFileSync(extra, 'utf8'));
}
fs.writeFileSync(path.join(here, 'RESULTS.md'), lines.join('\n'));
console.error('wrote bench/RESULTS.md');
