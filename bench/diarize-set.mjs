#!/usr/bin/env node
// The diarization evaluation set: conversations with known turns, built from a committed recipe
// list and seeds, so the same files come out on any machine that has the same packages. Voices:
//   - synthetic: espeak-ng (Debian) English voices with variants, speeds and pitches drawn per
//     conversation, reading sentences of /usr/share/common-licenses/GPL-3 and short replies;
//   - real: the telephony voice prompts of Debian's asterisk-core-sounds-*-g722 and
//     asterisk-prompt-* packages (Allison in US English and Mexican Spanish: one person; June, fr-CA;
//     Carlo, it; Menardi, it, 8 kHz; the Russian IVR voice; Armelle, fr, and the Colombian Spanish
//     voice, GSM 8 kHz);
//   - the fixtures (../shared/fixtures: jfk.flac, gettysburg.wav, NM014.mp3, three of Arthur.mp3's
//     readers) and pyannote.audio's sample (its PyPI wheel ships sample.wav and sample.rttm, a real
//     meeting excerpt): these are in the test half only, so nothing is tuned on them.
// Turns are short (a reply) or long (several sentences or prompts), with pauses, some overlap
// (a turn starting before the last one ends), per-speaker levels, background noise (pink, brown,
// music on hold from asterisk-moh-opsound-wav) and a telephone band on some. The reference turns
// are each utterance's speech (Silero VAD on the utterance alone), placed where it was mixed in.
// The split into a tuning half and a test half is by SPLIT_SEED, within each kind of conversation.
//
//   apt-get install -y espeak-ng asterisk-core-sounds-en-g722 asterisk-core-sounds-es-g722 \
//     asterisk-core-sounds-fr-g722 asterisk-core-sounds-it-g722 asterisk-core-sounds-ru-g722 \
//     asterisk-prompt-fr-armelle asterisk-prompt-it-menardi-wav asterisk-prompt-es-co asterisk-moh-opsound-wav
//   pip download --no-deps pyannote-audio==4.0.7 (the generator does this into ~/.cache when missing)
//   node bench/diarize-set.mjs [--out bench/out/diarize-set] [--rebuild]
// Writes <name>.wav (16 kHz mono), <name>.rttm and index.json (the recipes, speakers, split).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { decodeAudio, getSpeechTimestamps } from '../lib/index.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const SR = 16000;
/** The seed of the split into tuning and test halves (and of nothing else). */
export const SPLIT_SEED = 20261203;
const SOUNDS = '/usr/share/asterisk/sounds';
const fixtures = process.env.CT2_WHISPER_FIXTURES || path.resolve(here, '..', '..', 'shared', 'fixtures');

/**
 * The conversations: kind, speakers, seconds, noise, band, overlap rate, seed. `test: true` ones
 * (fixtures, the pyannote sample) are in the test half whatever the split says.
 */
export const RECIPES = [
  ...[1, 2, 2, 2, 2, 3, 3, 3, 4, 4, 5, 5].map((speakers, i) => ({ kind: 'synthetic', speakers, seconds: 50 + ((i * 37) % 110), seed: 100 + i })),
  ...[1, 2, 2, 2, 3, 3, 3, 4, 4, 5].map((speakers, i) => ({ kind: 'real', speakers, seconds: 45 + ((i * 41) % 100), seed: 200 + i })),
  ...[2, 2, 3, 3, 4, 4].map((speakers, i) => ({ kind: 'mixed', speakers, seconds: 60 + ((i * 29) % 90), seed: 300 + i })),
  { kind: 'fixtures', speakers: 2, seconds: 60, seed: 400, test: true, voices: ['jfk', 'lincoln'] },
  { kind: 'fixtures', speakers: 4, seconds: 120, seed: 401, test: true, voices: ['jfk', 'lincoln', 'nm014', 'arthur-a'] },
  { kind: 'fixtures', speakers: 3, seconds: 90, seed: 402, test: true, voices: ['arthur-a', 'arthur-low', 'arthur-high'] },
  { kind: 'pyannote-sample', speakers: 2, seconds: 30, seed: 500, test: true },
  // Added for issue 21 (the failure modes of the first test run, in both halves): each group is
  // split on its own, so the conversations above keep their halves. One speaker (long and short),
  // four and five speakers, and short two-person conversations (30-40 s, like the pyannote sample).
  ...[70, 150, 45, 110, 190, 80].map((seconds, i) => ({ kind: 'synthetic', group: 'synthetic-solo', speakers: 1, seconds, seed: 600 + i })),
  ...[60, 140, 95, 170].map((seconds, i) => ({ kind: 'real', group: 'real-solo', speakers: 1, seconds, seed: 700 + i })),
  ...[4, 5, 5, 4].map((speakers, i) => ({ kind: 'synthetic', group: 'synthetic-many', speakers, seconds: 100 + i * 30, seed: 800 + i })),
  ...[4, 5, 5, 4].map((speakers, i) => ({ kind: 'real', group: 'real-many', speakers, seconds: 110 + i * 25, seed: 900 + i })),
  ...[2, 2, 2, 2].map((speakers, i) => ({ kind: ['synthetic', 'real', 'mixed', 'synthetic'][i], group: 'short-2', speakers, seconds: 30 + i * 3, seed: 1000 + i })),
].map((r, i) => {
  const rng = mulberry32(r.seed * 7919);
  const noise = ['none', 'pink', 'brown', 'music'][Math.floor(rng() * 4)];
  return {
    name: `${String(i).padStart(2, '0')}-${r.kind}-${r.speakers}`,
    noise: r.kind === 'pyannote-sample' ? 'none' : noise,
    snr: 12 + Math.floor(rng() * 14),
    phone: r.kind !== 'pyannote-sample' && rng() < 0.25,
    overlap: 0.05 + rng() * 0.2,
    ...r,
  };
});

/** Recipe names in the tuning half: half of each group (its kind unless it names one; rounded down), by SPLIT_SEED. */
export function splitOf(recipes = RECIPES) {
  const rng = mulberry32(SPLIT_SEED);
  const out = {};
  const groupOf = (r) => r.group ?? r.kind;
  const kinds = [...new Set(recipes.map(groupOf))];
  for (const kind of kinds) {
    const free = recipes.filter((r) => groupOf(r) === kind && !r.test).map((r) => r.name);
    for (let i = free.length - 1; i > 0; i--) {
      const j = Math.floor(rng() * (i + 1));
      [free[i], free[j]] = [free[j], free[i]];
    }
    free.forEach((n, i) => (out[n] = i < Math.floor(free.length / 2) ? 'tune' : 'test'));
    for (const r of recipes) if (groupOf(r) === kind && r.test) out[r.name] = 'test';
  }
  return out;
}

export function mulberry32(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const pick = (rng, list) => list[Math.floor(rng() * list.length)];
const uniform = (rng, a, b) => a + rng() * (b - a);

// ---- voices ---------------------------------------------------------------------------------

const ESPEAK_BASES = ['en-us', 'en-gb', 'en-gb-scotland', 'en-gb-x-rp', 'en-029', 'en-us-nyc', 'en-gb-x-gbclan', 'en-gb-x-gbcwmd'];
const ESPEAK_MALE = ['m1', 'm2', 'm3', 'm4', 'm5', 'm6', 'm7', 'Andy', 'Gene', 'Lee', 'Mike', 'Michael', 'david', 'john', 'norbert', 'victor', 'grandpa'];
const ESPEAK_FEMALE = ['f1', 'f2', 'f3', 'f4', 'f5', 'Annie', 'Alicia', 'Andrea', 'anika', 'shelby', 'steph', 'grandma'];
const REAL = {
  allison: [`${SOUNDS}/en_US_f_Allison`, `${SOUNDS}/es_MX_f_Allison`],
  june: [`${SOUNDS}/fr_CA_f_June`],
  carlo: [`${SOUNDS}/it_IT_m_Carlo`],
  menardi: [`${SOUNDS}/it_IT_f_Menardi`],
  ivr_ru: [`${SOUNDS}/ru_RU_f_IvrvoiceRU`],
  armelle: [`${SOUNDS}/fr`],
  es_co: [`${SOUNDS}/es`],
};
/** Fixture voices: a file and the stretch of it one speaker reads. */
const FIXTURE_VOICES = {
  jfk: ['audio/jfk.flac', 0, 11],
  lincoln: ['audio/gettysburg.wav', 0, 10],
  nm014: ['audio/NM014.mp3', 0, 150],
  'arthur-a': ['audio/Arthur.mp3', 0, 24],
  'arthur-low': ['audio/Arthur.mp3', 72, 102],
  'arthur-high': ['audio/Arthur.mp3', 132, 158],
};

function synthVoice(rng, used) {
  for (;;) {
    const female = rng() < 0.5;
    const v = { type: 'espeak', voice: `${pick(rng, ESPEAK_BASES)}+${pick(rng, female ? ESPEAK_FEMALE : ESPEAK_MALE)}`, speed: Math.round(uniform(rng, 130, 195)), pitch: Math.round(uniform(rng, 20, 80)) };
    if (!used.has(v.voice)) return v;
  }
}

const SENTENCES = fs
  .readFileSync('/usr/share/common-licenses/GPL-3', 'utf8')
  .replace(/\s+/g, ' ')
  .split(/(?<=[.;:?!])\s+/)
  .map((s) => s.replace(/[^A-Za-z0-9 ,.;:'?!-]/g, '').trim())
  .filter((s) => s.split(' ').length >= 4 && s.split(' ').length <= 22);
const REPLIES = ['Yes.', 'Right.', 'Okay.', 'I see.', 'Sure, go on.', 'No, not really.', 'Exactly.', 'Hmm, maybe.', "That's true.", 'Really?', 'Go ahead.', 'Of course.', 'Wait a moment.', 'I agree.', 'Not at all.'];

function espeak(v, text) {
  const r = spawnSync('espeak-ng', ['-v', v.voice, '-s', String(v.speed), '-p', String(v.pitch), '--stdout', text], { maxBuffer: 1 << 28 });
  if (r.status !== 0) throw new Error(`espeak-ng ${v.voice}: ${r.stderr}`);
  return r.stdout;
}

const promptCache = new Map();
/** The prompts of a real voice of at least `min` s (each decoded once), sorted by name. */
async function prompts(dirs, min, max) {
  const key = `${dirs.join()}|${min}|${max}`;
  if (promptCache.has(key)) return promptCache.get(key);
  const files = dirs.flatMap((d) => fs.readdirSync(d).filter((f) => /\.(g722|gsm|wav)$/.test(f)).map((f) => path.join(d, f))).sort();
  // Duration from the size (g722 8000 B/s, gsm 1650 B/s, 8 kHz s16 wav 16000 B/s) before decoding.
  const rate = (f) => (f.endsWith('.g722') ? 8000 : f.endsWith('.gsm') ? 1650 : 16000);
  const fit = files.filter((f) => {
    const s = fs.statSync(f).size / rate(f);
    return s >= min && s <= max;
  });
  promptCache.set(key, fit);
  return fit;
}

// ---- utterances -----------------------------------------------------------------------------

/** An utterance of voice `v` for a short or long turn: 16 kHz samples. */
async function utterance(v, rng, long, fixtureClips) {
  if (v.type === 'espeak') {
    const text = long ? Array.from({ length: rng() < 0.35 ? 2 : 1 }, () => pick(rng, SENTENCES)).join(' ') : pick(rng, REPLIES);
    return (await decodeAudio(espeak(v, text)))[0];
  }
  if (v.type === 'real') {
    const files = long ? await prompts(REAL[v.id], 1.2, 6) : [...(await prompts(REAL[v.id].map((d) => `${d}/digits`), 0.3, 1.2)), ...(await prompts(REAL[v.id], 0.4, 1.2))];
    const n = long ? 2 + Math.floor(rng() * 3) : 1;
    const parts = [];
    for (let i = 0; i < n; i++) {
      const [clip] = await decodeAudio(pick(rng, files));
      parts.push(trim(clip), new Float32Array(Math.round(uniform(rng, 0.15, 0.45) * SR)));
    }
    return concat(parts.slice(0, -1));
  }
  // A fixture voice: the next chunk of its speech, in order (short: one speech region).
  const state = fixtureClips.get(v.id);
  const want = long ? uniform(rng, 3, 9) : 1.0;
  const regions = state.regions;
  let i = state.next % regions.length;
  const start = regions[i].start;
  let end = regions[i].end;
  while (end - start < want * SR && i + 1 < regions.length && regions[i + 1].start > start) end = regions[++i].end;
  state.next = i + 1;
  return state.audio.slice(start, end);
}

/** Leading and trailing near-silence cut (prompts carry some). */
function trim(x) {
  let a = 0;
  let b = x.length;
  while (a < b && Math.abs(x[a]) < 0.003) a++;
  while (b > a && Math.abs(x[b - 1]) < 0.003) b--;
  return x.slice(Math.max(0, a - 800), Math.min(x.length, b + 800));
}

function concat(parts) {
  const out = new Float32Array(parts.reduce((a, p) => a + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

const rms = (x) => Math.sqrt(x.reduce((a, v) => a + v * v, 0) / Math.max(1, x.length));

// ---- conversations --------------------------------------------------------------------------

async function voicesOf(r, rng) {
  if (r.kind === 'fixtures') return r.voices.map((id) => ({ type: 'fixture', id }));
  const used = new Set();
  const realIds = Object.keys(REAL);
  const out = [];
  for (let s = 0; s < r.speakers; s++) {
    const real = r.kind === 'real' || (r.kind === 'mixed' && s % 2 === 0);
    if (real) {
      const free = realIds.filter((id) => !used.has(id));
      const id = pick(rng, free);
      used.add(id);
      out.push({ type: 'real', id });
    } else {
      const v = synthVoice(rng, used);
      used.add(v.voice);
      out.push(v);
    }
  }
  return out;
}

async function fixtureClips(voices) {
  const map = new Map();
  for (const v of voices) {
    if (v.type !== 'fixture') continue;
    const [file, from, to] = FIXTURE_VOICES[v.id];
    const [all] = await decodeAudio(path.join(fixtures, file));
    const audio = all.slice(from * SR, to * SR);
    const regions = await getSpeechTimestamps(audio, { minSilenceDurationMs: 200, speechPadMs: 30 });
    map.set(v.id, { audio, regions, next: 0 });
  }
  return map;
}

/** One conversation: samples and reference turns. */
async function build(r) {
  const rng = mulberry32(r.seed);
  const voices = await voicesOf(r, rng);
  const clips = await fixtureClips(voices);
  const gains = voices.map(() => 10 ** (uniform(rng, -6, 3) / 20));
  // Turn-taking: some speakers talk more than others.
  const weights = voices.map(() => 0.4 + rng());
  const total = Math.round(r.seconds * SR);
  const placed = [];
  let at = Math.round(uniform(rng, 0.2, 1.0) * SR);
  let last = -1;
  let lastLength = 0;
  while (at < total - SR) {
    let s = last;
    if (voices.length > 1) {
      while (s === last) {
        let x = rng() * weights.reduce((a, w) => a + w, 0);
        s = weights.findIndex((w) => (x -= w) < 0);
        if (s < 0) s = voices.length - 1;
      }
    } else s = 0;
    const long = voices.length === 1 || rng() > 0.3;
    let u = await utterance(voices[s], rng, long, clips);
    if (!u.length) continue;
    u = u.subarray(0, total - at);
    const level = 0.08 / Math.max(1e-4, rms(u));
    placed.push({ speaker: s, at, audio: u.map((x) => x * level * gains[s]) });
    // Next start: a pause, or (sometimes) an overlap into this turn's end.
    const overlap = voices.length > 1 && rng() < r.overlap;
    const gap = overlap ? -Math.min(uniform(rng, 0.3, 1.5), 0.5 * Math.min(u.length, lastLength || u.length) / SR) : uniform(rng, 0.1, 1.3);
    at += u.length + Math.round(gap * SR);
    last = s;
    lastLength = u.length;
  }
  const mix = new Float32Array(total);
  const reference = [];
  for (const p of placed) {
    for (let i = 0; i < p.audio.length && p.at + i < total; i++) mix[p.at + i] += p.audio[i];
    const speech = await getSpeechTimestamps(p.audio, { minSilenceDurationMs: 250, speechPadMs: 30 });
    for (const x of speech) reference.push({ start: (p.at + x.start) / SR, end: Math.min(total, p.at + x.end) / SR, speaker: `spk${p.speaker}` });
  }
  await addNoise(mix, r, rng);
  return { audio: mix, reference: reference.sort((a, b) => a.start - b.start), voices };
}

async function addNoise(mix, r, rng) {
  if (r.noise === 'none') return;
  const noise = new Float32Array(mix.length);
  if (r.noise === 'music') {
    const files = fs.readdirSync('/usr/share/asterisk/moh').filter((f) => f.endsWith('.wav')).sort();
    const [m] = await decodeAudio(path.join('/usr/share/asterisk/moh', pick(rng, files)));
    for (let i = 0; i < noise.length; i++) noise[i] = m[i % m.length];
  } else {
    // Pink (Paul Kellet's filter) or brown (integrated) noise from the seeded generator.
    let b0 = 0, b1 = 0, b2 = 0, brown = 0;
    for (let i = 0; i < noise.length; i++) {
      const w = rng() * 2 - 1;
      if (r.noise === 'pink') {
        b0 = 0.99765 * b0 + w * 0.099046;
        b1 = 0.963 * b1 + w * 0.2965164;
        b2 = 0.57 * b2 + w * 1.0526913;
        noise[i] = b0 + b1 + b2 + w * 0.1848;
      } else {
        brown = 0.995 * brown + w * 0.1;
        noise[i] = brown;
      }
    }
  }
  const scale = (0.08 / Math.max(1e-6, rms(noise))) * 10 ** (-r.snr / 20);
  for (let i = 0; i < mix.length; i++) mix[i] += noise[i] * scale;
}

function writeWav(file, samples, filters) {
  const pcm = Buffer.alloc(samples.length * 2);
  let peak = 0;
  for (const x of samples) peak = Math.max(peak, Math.abs(x));
  const g = peak > 0.95 ? 0.95 / peak : 1;
  for (let i = 0; i < samples.length; i++) pcm.writeInt16LE(Math.round(Math.max(-1, Math.min(1, samples[i] * g)) * 32767), i * 2);
  const args = ['-v', 'error', '-y', '-f', 's16le', '-ar', String(SR), '-ac', '1', '-i', 'pipe:0'];
  if (filters) args.push('-af', filters);
  args.push('-ar', String(SR), '-ac', '1', '-c:a', 'pcm_s16le', file);
  const r = spawnSync('ffmpeg', args, { input: pcm, maxBuffer: 1 << 28 });
  if (r.status !== 0) throw new Error(`ffmpeg: ${r.stderr}`);
}

const rttm = (name, turns) => turns.map((t) => `SPEAKER ${name} 1 ${t.start.toFixed(3)} ${(t.end - t.start).toFixed(3)} <NA> <NA> ${t.speaker} <NA> <NA>`).join('\n') + '\n';

function readRttm(text) {
  return text
    .trim()
    .split('\n')
    .map((l) => l.split(/\s+/))
    .map((f) => ({ start: +f[3], end: +f[3] + +f[4], speaker: f[7] }));
}

/** pyannote.audio's sample (wav + rttm) from its wheel, into ~/.cache once. */
function pyannoteSample() {
  const dir = path.join(os.homedir(), '.cache', 'ct2-whisper', 'bench', 'pyannote-sample');
  const wav = path.join(dir, 'pyannote', 'audio', 'sample', 'sample.wav');
  if (!fs.existsSync(wav)) {
    fs.mkdirSync(dir, { recursive: true });
    let r = spawnSync('python3', ['-m', 'pip', 'download', '--no-deps', '--quiet', '--disable-pip-version-check', '-d', dir, 'pyannote-audio==4.0.7'], { stdio: 'inherit' });
    if (r.status !== 0) throw new Error('pip download pyannote-audio failed');
    const whl = fs.readdirSync(dir).find((f) => f.endsWith('.whl'));
    r = spawnSync('python3', ['-m', 'zipfile', '-e', path.join(dir, whl), dir], { stdio: 'inherit' });
    if (r.status !== 0) throw new Error('unzip failed');
  }
  return { wav, rttm: wav.replace(/\.wav$/, '.rttm') };
}

async function main() {
  const arg = (name, def) => {
    const i = process.argv.indexOf(name);
    return i >= 0 ? process.argv[i + 1] : def;
  };
  const out = path.resolve(arg('--out', path.join(here, 'out', 'diarize-set')));
  fs.mkdirSync(out, { recursive: true });
  const split = splitOf();
  const index = [];
  // Conversations already built from the same recipe are kept (--rebuild builds them all again).
  const indexFile = path.join(out, 'index.json');
  const built = !process.argv.includes('--rebuild') && fs.existsSync(indexFile) ? JSON.parse(fs.readFileSync(indexFile, 'utf8')) : [];
  for (const r of RECIPES) {
    const file = path.join(out, `${r.name}.wav`);
    const old = built.find((b) => b.name === r.name && b.seed === r.seed && b.seconds === r.seconds);
    if (old && fs.existsSync(file) && fs.existsSync(path.join(out, `${r.name}.rttm`))) {
      index.push({ ...r, ...old, split: split[r.name] });
      continue;
    }
    let reference;
    let voices;
    if (r.kind === 'pyannote-sample') {
      const s = pyannoteSample();
      fs.copyFileSync(s.wav, file);
      reference = readRttm(fs.readFileSync(s.rttm, 'utf8'));
      voices = [...new Set(reference.map((t) => t.speaker))];
    } else {
      const c = await build(r);
      writeWav(file, c.audio, r.phone ? 'highpass=f=300,lowpass=f=3400' : undefined);
      reference = c.reference;
      voices = c.voices.map((v) => (v.type === 'espeak' ? `espeak:${v.voice}:s${v.speed}:p${v.pitch}` : `${v.type}:${v.id}`));
    }
    fs.writeFileSync(path.join(out, `${r.name}.rttm`), rttm(r.name, reference));
    const speakers = new Set(reference.map((t) => t.speaker)).size;
    const overlapped = overlapSeconds(reference);
    index.push({ ...r, split: split[r.name], voices, speakers, duration: +(fs.statSync(file).size / 2 / SR).toFixed(2), turns: reference.length, overlap_s: +overlapped.toFixed(2) });
    console.log(`${r.name}: ${split[r.name]}, ${speakers} speakers, ${reference.length} turns, ${overlapped.toFixed(1)} s overlapped, ${voices.join(' ')}`);
  }
  fs.writeFileSync(indexFile, JSON.stringify(index, null, 1));
}

function overlapSeconds(turns) {
  const end = Math.max(0, ...turns.map((t) => t.end));
  const n = new Uint8Array(Math.ceil(end * 100));
  for (const t of turns) for (let f = Math.floor(t.start * 100); f < Math.ceil(t.end * 100); f++) n[f]++;
  return n.reduce((a, v) => a + (v > 1 ? 0.01 : 0), 0);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await main();
