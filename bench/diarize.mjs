#!/usr/bin/env node
// Diarization cost: an hour (or --minutes N) of speech built by joining the shared fixtures
// (Arthur.mp3, NM014.mp3, multilingual.mp3, jfk.flac, gettysburg.wav, hotwords.mp3, in turn, until
// the length is reached), diarized once in this process; wall time per stage, the speakers found,
// and the process's peak RSS. Writes its section (## Diarization) of bench/DIARIZE.md and of bench/RESULTS.md, leaving the
// rest of those files as they are.
//   node bench/diarize.mjs [--minutes 60] [--threads 2] [--no-write]
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { decodeAudio, diarize } from '../lib/index.js';
import { replaceSection } from './md-section.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const fixtures = process.env.CT2_WHISPER_FIXTURES || path.resolve(here, '..', '..', 'shared', 'fixtures');
const arg = (name, def) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : def;
};
const minutes = Number(arg('--minutes', '60'));
const threads = Number(arg('--threads', String(Math.min(4, os.availableParallelism()))));
const SOURCES = ['Arthur.mp3', 'NM014.mp3', 'multilingual.mp3', 'jfk.flac', 'gettysburg.wav', 'hotwords.mp3'];

const clips = [];
for (const name of SOURCES) clips.push((await decodeAudio(path.join(fixtures, 'audio', name)))[0]);
const total = Math.round(minutes * 60 * 16000);
const audio = new Float32Array(total);
const copies = []; // [start s, end s, source] of each copy joined
for (let at = 0, i = 0; at < total; i++) {
  const c = clips[i % clips.length].subarray(0, total - at);
  audio.set(c, at);
  copies.push([at / 16000, (at + c.length) / 16000, SOURCES[i % clips.length]]);
  at += c.length;
}
const rssBefore = process.resourceUsage().maxRSS / 1024;
const loadBefore = os.loadavg()[0];
const started = process.hrtime.bigint();
const d = await diarize(audio, { threads });
const seconds = Number(process.hrtime.bigint() - started) / 1e9;
// The 1-minute load average when the clock started and stopped (2 cores: above 2, others were running too).
const load = [loadBefore, os.loadavg()[0]].map((x) => x.toFixed(1));
const peak = process.resourceUsage().maxRSS / 1024;
// Consistency over the repeats: the speaker with the most speech in each whole copy of a source;
// a source whose copies all get the same one is labelled consistently (Arthur.mp3's copies are
// read by several readers, so there only the first 20 s, one reader's, is looked at).
const dominant = (a, b) => {
  const time = {};
  for (const t of d.turns) time[t.speaker] = (time[t.speaker] ?? 0) + Math.max(0, Math.min(b, t.end) - Math.max(a, t.start));
  return Object.entries(time).sort((x, y) => y[1] - x[1])[0]?.[0];
};
const perSource = {};
for (const [a, b, name] of copies) {
  if (b - a < (name === 'Arthur.mp3' ? 20 : b - a)) continue;
  const label = dominant(a, name === 'Arthur.mp3' ? a + 20 : b);
  if (label) (perSource[name] ??= []).push(label);
}
const consistency = Object.entries(perSource).map(([name, labels]) => `${name}${name === 'Arthur.mp3' ? ' (first 20 s)' : ''}: ${new Set(labels).size} label${new Set(labels).size > 1 ? 's' : ''} over ${labels.length} copies`);
const line = {
  audio_s: total / 16000,
  wall_s: +seconds.toFixed(1),
  real_time_factor: +(seconds / (total / 16000)).toFixed(4),
  speakers: d.speakers.length,
  turns: d.turns.length,
  peak_rss_mb: Math.round(peak),
  rss_before_diarize_mb: Math.round(rssBefore),
  threads,
  load_average: load,
  consistency,
};
console.log(JSON.stringify(line));
if (!process.argv.includes('--no-write')) {
  const file = path.join(here, 'RESULTS.md');
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  const section = `## Diarization

Written by \`node bench/diarize.mjs --minutes ${minutes}\` on ${new Date().toISOString().slice(0, 10)}: ${os.availableParallelism()} cores (${cpu}), ${Math.round(os.totalmem() / 2 ** 30)} GiB,
ONNX Runtime on the CPU with ${threads} threads; the machine was shared with other work while it ran (1-minute load average ${load[0]} at the start, ${load[1]} at the end), so the time is an upper bound.
The audio is the shared fixtures joined in turn (${SOURCES.join(', ')}) up to ${minutes} minutes, decoded before the clock starts.
Peak memory is the whole process's peak RSS, which includes the decoded audio (${Math.round((total * 4) / 2 ** 20)} MB of float samples) and the fixtures it was built from.
The joined audio holds ${SOURCES.length} source recordings, each repeated, and about 15 distinct voices: Arthur.mp3 is the
story of Arthur the Rat read in turn by several readers (about nine: the voice changes at paragraph ends, where pitch,
level and noise floor jump and the segmentation model itself sees a change of speaker), NM014.mp3 one speaker,
multilingual.mp3 one voice or two (English, then German: the halves get two labels, the same two in every copy,
so the label with the most speech in a whole copy goes either way), jfk.flac, gettysburg.wav and hotwords.mp3 one each.
Labels over the repeats (the speaker with the most speech in each whole copy; for Arthur.mp3 its first 20 s):
${consistency.join('; ')}.

| audio | wall s | real-time factor | speakers found | turns | peak RSS MB | RSS before diarize MB |
| --- | ---: | ---: | ---: | ---: | ---: | ---: |
| ${(total / 16000 / 60).toFixed(0)} min | ${line.wall_s} | ${line.real_time_factor} | ${line.speakers} | ${line.turns} | ${line.peak_rss_mb} | ${line.rss_before_diarize_mb} |
`;
  // bench/DIARIZE.md keeps the section (beside the quality section of bench/diarize-eval.mjs) for
  // bench/run.mjs, which rewrites RESULTS.md.
  replaceSection(path.join(here, 'DIARIZE.md'), '## Diarization', section);
  replaceSection(file, '## Diarization', section);
}
