// The timing benchmark's recordings, built reproducibly (a seeded generator, espeak-ng and sox;
// nothing downloaded): passages of speech whose every word was synthesised on its own by
// espeak-ng and placed at a known time (joined with known gaps), between stretches of non-speech
// from sox (silence, tones, music, hum, noise). Each recording's reference (every word's start
// and end, the passages, the non-speech stretches) is written beside it as JSON.
//
// Two kinds of recording: "long gaps" (eight passages with 25-40 s of non-speech between them, as
// in a recording of talks between music) and "short gaps" (six passages with 1.5-8 s between
// them). Each half (tuning, test) has its own recordings, and reads its own pool of sentences
// (sentences.mjs). Generated audio is never committed: it goes to
// ~/.cache/ct2-whisper/bench-timing/ (or the directory given), and is built again when missing.
//   node bench/timing/make-audio.mjs [DIR]
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { TUNING, TEST } from './sentences.mjs';

export const SAMPLE_RATE = 16000;
/** Bumped whenever what is built changes: a cache of another version is built again. */
export const VERSION = 2;
export const defaultDir = () => path.join(process.env.CT2_WHISPER_CACHE || path.join(os.homedir(), '.cache', 'ct2-whisper'), 'bench-timing', `v${VERSION}`);

/**
 * The recordings: name, half, kind and seed. The test half's first build (long-2, long-4,
 * short-2, short-4, short-6: seeds 101, 103, 201, 203, 205) was looked at while the speech bounds
 * were tuned, so the test half is this second build, on seeds never looked at before the rules
 * were fixed.
 */
export const RECORDINGS = [
  ...[0, 2].map((i) => ({ name: `long-${i + 1}`, half: 'tuning', kind: 'long', seed: 100 + i })),
  ...[0, 2, 4].map((i) => ({ name: `short-${i + 1}`, half: 'tuning', kind: 'short', seed: 200 + i })),
  ...[1, 2].map((i) => ({ name: `long-test-${i}`, half: 'test', kind: 'long', seed: 300 + i })),
  ...[1, 2, 3].map((i) => ({ name: `short-test-${i}`, half: 'test', kind: 'short', seed: 400 + i })),
];

/** mulberry32: a small seeded generator, the same numbers on every machine. */
function generator(seed) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    between: (lo, hi) => lo + (hi - lo) * next(),
    pick: (list) => list[Math.floor(next() * list.length)],
    int: (lo, hi) => lo + Math.floor(next() * (hi - lo + 1)),
  };
}

function run(cmd, args, input) {
  const r = spawnSync(cmd, args, { input, maxBuffer: 1 << 28 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr?.toString().trim() || r.error?.message || `exit ${r.status}`}`);
  return r.stdout;
}

/** 16-bit raw PCM as float samples. */
const floats = (buf) => Float32Array.from(new Int16Array(buf.buffer, buf.byteOffset, buf.byteLength >> 1), (v) => v / 32768);
const RAW = ['-t', 'raw', '-e', 'signed', '-b', '16', '-r', String(SAMPLE_RATE), '-c', '1'];

/** sox's `synth` (seeded: -R), `seconds` long, then `effects`, as float samples. */
function synth(seconds, what, effects = []) {
  return floats(run('sox', ['-R', '-n', ...RAW, '-', 'synth', seconds.toFixed(3), ...what, ...effects]));
}

/** One word spoken by espeak-ng, cut to where it sounds (its edges are exact silence). */
function speakWord(word, voice) {
  const wav = run('espeak-ng', ['-v', voice.name, '-s', String(voice.speed), '-p', String(voice.pitch), '--stdout', word]);
  const x = floats(run('sox', ['-t', 'wav', '-', ...RAW, '-'], wav));
  return trim(x);
}

function trim(x) {
  const loud = 0.004;
  let a = 0;
  while (a < x.length && Math.abs(x[a]) < loud) a++;
  let b = x.length;
  while (b > a && Math.abs(x[b - 1]) < loud) b--;
  return x.subarray(a, b);
}

const VOICES = ['en-us', 'en-gb', 'en-gb-x-rp', 'en-029', 'en-gb-scotland'];
const VARIANTS = ['m1', 'm2', 'm3', 'm4', 'f1', 'f2', 'f3', 'f4'];

/** A passage: its sentences' words, each spoken alone and placed after a gap; times from the passage's start. */
function passage(sentences, rng) {
  const voice = { name: `${rng.pick(VOICES)}+${rng.pick(VARIANTS)}`, speed: rng.int(150, 180), pitch: rng.int(35, 65) };
  const pieces = [];
  const words = [];
  let at = 0;
  sentences.forEach((sentence, si) => {
    const tokens = sentence.split(/\s+/).filter(Boolean);
    tokens.forEach((token, ti) => {
      const spoken = speakWord(token, voice);
      words.push({ word: token, start: at, end: at + spoken.length / SAMPLE_RATE });
      pieces.push({ at, samples: spoken });
      at += spoken.length / SAMPLE_RATE;
      const last = ti === tokens.length - 1;
      if (last && si === sentences.length - 1) return;
      at += last ? rng.between(0.45, 0.8) : /[,;:]$/.test(token) ? rng.between(0.25, 0.45) : rng.between(0.04, 0.16);
    });
  });
  const gain = rng.between(0.35, 0.6) / Math.max(...pieces.map((p) => p.samples.reduce((m, v) => Math.max(m, Math.abs(v)), 0)));
  return { voice, words, pieces, gain, duration: at };
}

const NOTES = [-21, -19, -17, -14, -12, -9, -7, -5, -2, 0, 3, 5, 7, 10, 12];

/** A stretch of non-speech of one kind. */
function nonSpeech(kind, seconds, rng) {
  switch (kind) {
    case 'silence':
      return new Float32Array(Math.round(seconds * SAMPLE_RATE));
    case 'tone': {
      const f = rng.int(300, 1200);
      return synth(seconds, ['sine', String(f)], ['tremolo', rng.between(0.5, 3).toFixed(2), '90', 'vol', rng.between(0.08, 0.25).toFixed(3)]);
    }
    case 'hum':
      return synth(seconds, ['sawtooth', rng.pick(['50', '60'])], ['lowpass', '400', 'vol', rng.between(0.05, 0.15).toFixed(3)]);
    case 'noise':
      return synth(seconds, [rng.pick(['whitenoise', 'pinknoise', 'brownnoise'])], ['vol', rng.between(0.03, 0.12).toFixed(3)]);
    case 'music':
      return music(seconds, rng);
  }
  throw new Error(`unknown kind ${kind}`);
}

/** Music: a plucked melody over a soft chord, from sox's synth. */
function music(seconds, rng) {
  const n = Math.round(seconds * SAMPLE_RATE);
  const out = new Float32Array(n);
  const root = rng.int(-5, 5);
  const pad = synth(seconds, ['sine', `%${root - 12}`], ['vol', '0.04']);
  const fifth = synth(seconds, ['sine', `%${root - 5}`], ['vol', '0.03']);
  for (let i = 0; i < n; i++) out[i] = (pad[i] ?? 0) + (fifth[i] ?? 0);
  const beat = rng.between(0.22, 0.45);
  const cache = new Map();
  for (let t = 0; t < seconds - 0.05; t += beat * rng.pick([1, 1, 2])) {
    const note = root + rng.pick(NOTES);
    if (!cache.has(note)) cache.set(note, synth(1.2, ['pluck', `%${note}`], ['vol', '0.3']));
    const s = cache.get(note);
    const from = Math.round(t * SAMPLE_RATE);
    for (let i = 0; i < s.length && from + i < n; i++) out[from + i] += s[i];
  }
  return out;
}

const KINDS = ['silence', 'tone', 'music', 'hum', 'noise'];

/** One recording: its samples and its reference. */
export function build({ name, half, kind, seed }) {
  const rng = generator(seed);
  const pool = half === 'tuning' ? TUNING : TEST;
  const long = kind === 'long';
  const count = long ? 8 : 6;
  const layout = [];
  let at = long ? rng.between(10, 25) : rng.between(1, 4);
  const stretches = [{ start: 0, end: at, kind: long ? rng.pick(KINDS) : 'silence' }];
  // Each sentence at most once in a recording (the pool shuffled, then read in turn).
  const order = [...pool];
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(rng.next() * (i + 1));
    [order[i], order[j]] = [order[j], order[i]];
  }
  for (let p = 0; p < count; p++) {
    const sentences = order.splice(0, rng.int(2, 3));
    const made = passage(sentences, rng);
    layout.push({ at, made });
    at += made.duration;
    const gap = p === count - 1 ? rng.between(4, 10) : long ? rng.between(25, 40) : rng.between(1.5, 8);
    stretches.push({ start: at, end: at + gap, kind: rng.pick(KINDS) });
    at += gap;
  }
  const total = Math.round(at * SAMPLE_RATE);
  const audio = new Float32Array(total);
  for (const s of stretches) {
    const x = nonSpeech(s.kind, s.end - s.start, rng);
    audio.set(x.subarray(0, total - Math.round(s.start * SAMPLE_RATE)), Math.round(s.start * SAMPLE_RATE));
  }
  const passages = layout.map(({ at: start, made }) => {
    for (const p of made.pieces) {
      const from = Math.round((start + p.at) * SAMPLE_RATE);
      for (let i = 0; i < p.samples.length; i++) audio[from + i] += p.samples[i] * made.gain;
    }
    const words = made.words.map((w) => ({ word: w.word, start: +(start + w.start).toFixed(3), end: +(start + w.end).toFixed(3) }));
    return { start: words[0].start, end: words[words.length - 1].end, voice: made.voice, words };
  });
  // A quiet room under everything in half of them.
  if (rng.next() < 0.5) {
    const room = synth(at, ['pinknoise'], ['vol', rng.between(0.002, 0.006).toFixed(4)]);
    for (let i = 0; i < total; i++) audio[i] += room[i] ?? 0;
  }
  for (let i = 0; i < total; i++) audio[i] = Math.max(-1, Math.min(1, audio[i]));
  const reference = {
    name, half, kind, seed, version: VERSION,
    duration: total / SAMPLE_RATE,
    text: passages.map((p) => p.words.map((w) => w.word).join(' ')).join(' '),
    passages,
    nonSpeech: stretches.map((s) => ({ ...s, start: +s.start.toFixed(3), end: +s.end.toFixed(3) })),
  };
  return { audio, reference };
}

/** The 16-bit samples of a recording. */
function pcm(audio) {
  const out = new Int16Array(audio.length);
  for (let i = 0; i < audio.length; i++) out[i] = Math.max(-32768, Math.min(32767, Math.round(audio[i] * 32767)));
  return Buffer.from(out.buffer);
}

/** Builds the recordings missing in `dir`; returns each one's paths (raw .s16, .wav) and reference. */
export function ensureRecordings(dir = defaultDir()) {
  fs.mkdirSync(dir, { recursive: true });
  return RECORDINGS.map((r) => {
    const base = path.join(dir, r.name);
    if (!fs.existsSync(`${base}.json`)) {
      const started = performance.now();
      const { audio, reference } = build(r);
      const raw = pcm(audio);
      fs.writeFileSync(`${base}.s16`, raw);
      run('sox', [...RAW, `${base}.s16`, `${base}.wav`]);
      fs.writeFileSync(`${base}.json`, JSON.stringify(reference, null, 1));
      console.error(`built ${r.name} (${reference.duration.toFixed(0)} s) in ${((performance.now() - started) / 1000).toFixed(1)} s`);
    }
    return { ...r, s16: `${base}.s16`, wav: `${base}.wav`, reference: JSON.parse(fs.readFileSync(`${base}.json`, 'utf8')) };
  });
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const dir = process.argv[2] || defaultDir();
  for (const r of ensureRecordings(dir)) console.log(`${r.wav}: ${r.half}, ${r.kind}, ${r.reference.duration.toFixed(1)} s, ${r.reference.passages.length} passages, ${r.reference.passages.reduce((n, p) => n + p.words.length, 0)} words`);
}
