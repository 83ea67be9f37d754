#!/usr/bin/env node
// The timing and subtitle benchmark: faster-whisper (from PyPI, in the bench venv bench/run.mjs
// makes) and ct2-whisper on the same recordings (make-audio.mjs: synthesised words at known times
// between long stretches of silence, tones, music, hum and noise), the same model (tiny.en, int8,
// CPU). Scores word times, WER and the cues (ours: the SRT our writer makes, with its default
// options; faster-whisper's: its segments, as whisper-style writers make cues of them) per half,
// and writes bench/TIMING.md and its section of bench/RESULTS.md (## Timing and subtitles).
//   node bench/timing/run.mjs [--half tuning|test|both] [--only fw|ours] [--config LABEL] [--tag NAME] [--extra JSON] [--reuse] [--no-write] [--model tiny.en]
// Each run's JSON is kept under the recordings' directory (runs/<label>/<recording>.json):
// faster-whisper's runs are reused; ours run again unless --reuse. --tag NAME keeps our runs under
// a name of their own (e.g. "before": the code before a change), shown as extra rows.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { pinned } from '../../scripts/ctranslate2-release.mjs';
import { ensureRecordings, defaultDir } from './make-audio.mjs';
import { score, parseCues, quantile } from './score.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const bench = path.resolve(here, '..');
const cache = process.env.CT2_WHISPER_CACHE || path.join(os.homedir(), '.cache', 'ct2-whisper');
const args = process.argv.slice(2);
const arg = (name, def) => (args.includes(name) ? args[args.indexOf(name) + 1] : def);
const half = arg('--half', 'both');
const only = arg('--only', undefined);
const tag = arg('--tag', undefined);
const reuse = args.includes('--reuse');
/** --extra JSON: more options for our runs (with --tag, to keep them apart), e.g. '{"without_timestamps":true}'. */
const extraOptions = JSON.parse(arg('--extra', '{}'));
const modelName = arg('--model', 'tiny.en');
const threads = 2;
const FW_VERSION = '1.2.1';

function sh(cmd, argv) {
  const r = spawnSync(cmd, argv, { encoding: 'utf8', maxBuffer: 256 << 20 });
  if (r.status !== 0) throw new Error(`${cmd} ${argv.join(' ')}: ${(r.stderr || '').trim().split('\n').slice(-3).join(' / ')}`);
  return r.stdout;
}

const venv = path.join(cache, 'bench-venv');
const py = path.join(venv, 'bin', 'python');
function ensureVenv() {
  if (!fs.existsSync(py)) sh('python3', ['-m', 'venv', venv]);
  sh(py, ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', `faster-whisper==${FW_VERSION}`, `ctranslate2==${pinned().version}`]);
}

/** The configurations: faster-whisper's as users run it (with and without word timestamps), ours as the CLI runs `--format srt`. */
const CONFIGS = [
  { label: 'fw-seq', engine: 'fw', name: 'faster-whisper, sequential', options: { beam_size: 5 } },
  { label: 'fw-seq-words', engine: 'fw', name: 'faster-whisper, sequential, word_timestamps', options: { beam_size: 5, word_timestamps: true } },
  { label: 'fw-b8', engine: 'fw', name: 'faster-whisper, batched 8', options: { batch_size: 8 } },
  { label: 'fw-b8-words', engine: 'fw', name: 'faster-whisper, batched 8, word_timestamps', options: { batch_size: 8, word_timestamps: true } },
  { label: 'ours-seq', engine: 'ours', name: 'ours, sequential (default options)', options: { beam_size: 5 } },
  { label: 'ours-b8', engine: 'ours', name: 'ours, `--batch-size 8`', options: { batch_size: 8 } },
];

const recordings = ensureRecordings(defaultDir()).filter((r) => half === 'both' || r.half === half);
const runsDir = path.join(defaultDir(), 'runs');

function runOne(config, rec, label) {
  const file = path.join(runsDir, label, `${rec.name}.json`);
  if (fs.existsSync(file) && (config.engine === 'fw' || reuse)) return JSON.parse(fs.readFileSync(file, 'utf8'));
  const modelDir = path.join(cache, 'models', modelName);
  const opts = JSON.stringify({ ...config.options, ...(config.engine === 'ours' ? extraOptions : {}), load: { device: 'cpu', compute_type: 'int8', cpu_threads: threads } });
  const started = performance.now();
  const out = config.engine === 'fw'
    ? sh('nice', [py, path.join(bench, 'fw_run.py'), modelDir, rec.s16, opts])
    : sh('nice', [process.execPath, path.join(here, 'ct2w_timing.mjs'), modelDir, rec.s16, opts]);
  const r = JSON.parse(out.trim().split('\n').pop());
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, JSON.stringify(r));
  console.error(`${label} ${rec.name}: ${((performance.now() - started) / 1000).toFixed(1)} s`);
  return r;
}

const rows = [];
const pick = arg('--config', undefined);
const configs = CONFIGS.filter((c) => (!only || c.engine === only) && (!pick || c.label === pick));
if (configs.some((c) => c.engine === 'fw')) ensureVenv();
const tagged = (c) => (tag && c.engine === 'ours' ? { ...c, label: `${c.label}@${tag}`, name: `${c.name} (${tag})` } : c);
const extra = fs.existsSync(runsDir)
  ? fs.readdirSync(runsDir).filter((l) => l.includes('@') && !configs.some((c) => tagged(c).label === l)).map((l) => {
      const base = CONFIGS.find((c) => c.label === l.split('@')[0]);
      return base && { ...base, label: l, name: `${base.name} (${l.split('@')[1]})`, stored: true };
    }).filter(Boolean)
  : [];
for (const c of [...configs.map(tagged), ...extra]) {
  for (const rec of recordings) {
    const file = path.join(runsDir, c.label, `${rec.name}.json`);
    if (c.stored && !fs.existsSync(file)) continue;
    const r = c.stored ? JSON.parse(fs.readFileSync(file, 'utf8')) : runOne(c, rec, c.label);
    const cues = r.srt ? parseCues(r.srt) : r.segments;
    rows.push({ config: c, rec, s: score(rec.reference, r.segments, cues, r.cued_words ?? undefined), seconds: r.transcribe_s });
  }
}

/** Sums and pooled figures over the rows of one configuration and one set of recordings. */
function pooled(list) {
  const sum = (f) => list.reduce((a, r) => a + f(r.s.cues), 0);
  const timing = list.map((r) => r.s.timing).filter(Boolean);
  const starts = timing.flatMap((t) => t.starts);
  const numberStarts = timing.flatMap((t) => t.numberStarts);
  const numbersSaid = timing.reduce((a, t) => a + t.numbersSaid, 0);
  const ends = timing.flatMap((t) => t.ends);
  const words = list.reduce((a, r) => a + r.rec.reference.passages.reduce((n, p) => n + p.words.length, 0), 0);
  return {
    cues: sum((c) => c.cues),
    longerThan10: sum((c) => c.longerThan10),
    longest: Math.max(...list.map((r) => r.s.cues.longest)),
    medianCue: quantile(list.flatMap((r) => r.s.cues.lengths), 0.5),
    early: sum((c) => c.early),
    spanning: sum((c) => c.spanning),
    overNothing: sum((c) => c.overNothing),
    passages: sum((c) => c.passages),
    passagesOff: sum((c) => c.passagesOff),
    onset: quantile(list.flatMap((r) => r.s.cues.onsetErrors), 0.5),
    wer: list.reduce((a, r) => a + r.s.wer * r.rec.reference.passages.reduce((n, p) => n + p.words.length, 0), 0) / words,
    timed: timing.length ? `${starts.length} / ${words}` : '—',
    numbers: timing.length ? `${numberStarts.length} / ${numbersSaid}` : '—',
    numberMedian: quantile(numberStarts, 0.5),
    startMedian: quantile(starts, 0.5),
    startP90: quantile(starts, 0.9),
    endMedian: quantile(ends, 0.5),
    endP90: quantile(ends, 0.9),
    seconds: list.reduce((a, r) => a + (r.seconds ?? 0), 0),
    audio: list.reduce((a, r) => a + r.rec.reference.duration, 0),
  };
}

const f2 = (x) => (Number.isFinite(x) ? x.toFixed(2) : '—');
const f3 = (x) => (Number.isFinite(x) ? x.toFixed(3) : '—');
function tables(which, kinds) {
  const labels = [...new Set(rows.map((r) => r.config.label))];
  const groups = labels.map((l) => {
    const list = rows.filter((r) => r.config.label === l && r.rec.half === which && kinds.includes(r.rec.kind));
    return list.length ? { config: list[0].config, p: pooled(list), n: list.length } : null;
  }).filter(Boolean);
  if (!groups.length) return [];
  return [
    '| | cues | cues > 10 s | longest cue s | median cue s | cues that start > 1.5 s before their speech | cues across > 1 s of non-speech | cues over no speech | passages whose first cue starts > 0.6 s off | median passage onset error s | WER |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...groups.map(({ config, p }) => `| ${config.name} | ${p.cues} | ${p.longerThan10} | ${f2(p.longest)} | ${f2(p.medianCue)} | ${p.early} | ${p.spanning} | ${p.overNothing} | ${p.passagesOff} / ${p.passages} | ${f2(p.onset)} | ${f3(p.wer)} |`),
    '',
    '| | words timed (matched / said) | start error median s | start error p90 s | end error median s | end error p90 s | numbers timed (matched / said) | their start error median s | transcribe s (audio s) |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...groups.map(({ config, p }) => `| ${config.name} | ${p.timed} | ${f3(p.startMedian)} | ${f3(p.startP90)} | ${f3(p.endMedian)} | ${f3(p.endP90)} | ${p.numbers} | ${f3(p.numberMedian)} | ${p.seconds.toFixed(0)} (${p.audio.toFixed(0)}) |`),
    '',
  ];
}

for (const which of ['test', 'tuning']) {
  for (const [kinds, what] of [[['long'], 'long gaps'], [['short'], 'short gaps']]) {
    const t = tables(which, kinds);
    if (t.length) console.log([`### ${which} half, ${what}`, '', ...t].join('\n'));
  }
}

if (!args.includes('--no-write') && !only && half === 'both') {
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  const lines = [
    '## Timing and subtitles',
    '',
    `Written by \`node bench/timing/run.mjs\` on ${new Date().toISOString().slice(0, 10)}: ${os.availableParallelism()} cores (${cpu}), ${modelName}, int8, CPU, ${threads} threads.`,
    '',
    ...['ABOUT.md', 'COST.md'].filter((f) => fs.existsSync(path.join(here, f))).flatMap((f) => [fs.readFileSync(path.join(here, f), 'utf8').trim(), '']),
  ];
  for (const which of ['test', 'tuning']) {
    for (const [kinds, what] of [[['long'], 'recordings with long non-speech stretches (25-40 s) between eight passages'], [['short'], 'recordings with short non-speech stretches (1.5-8 s) between six passages']]) {
      const t = tables(which, kinds);
      if (t.length) lines.push(`### The ${which} half: ${what}`, '', ...t);
    }
  }
  const section = lines.join('\n');
  fs.writeFileSync(path.join(bench, 'TIMING.md'), section);
  const file = path.join(bench, 'RESULTS.md');
  const old = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
  const start = old.indexOf('## Timing and subtitles');
  const next = start >= 0 ? old.indexOf('\n## ', start + 3) : -1;
  fs.writeFileSync(file, start < 0 ? `${old.trimEnd()}\n\n${section}` : `${old.slice(0, start)}${section}${next >= 0 ? old.slice(next) : ''}`);
  console.error('wrote bench/TIMING.md and its section of bench/RESULTS.md');
}
