// RunPod's own faster-whisper worker (runpod-workers/worker-faster_whisper): its documented
// example jobs run here unchanged but for the audio (their URL points at GitHub: the same
// recording, gettysburg.wav from RunPod's sample inputs, goes as `audio_base64`), and every
// output field its clients read has its semantics: `segments`, `detected_language`,
// `transcription` in the format asked (valid SRT and WebVTT), `translation` (null unless
// `translate`, then a second pass into English), `device`, `model`, the flat `word_timestamps`.
//
// Their jobs name the models "turbo" and "base". large-v3-turbo (1.6 GB) cannot be had offline:
// the worker's model cache here names the test model "base" also "turbo" (a symlink), so that
// the jobs go through the worker's model naming unchanged.
import t from 'tap';
import fs from 'node:fs';
import path from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import { root, fixture, modelDir, cache, tmpDir, assertWords, words } from './helpers.mjs';
import { parseJobInput } from '../lib/worker/schema.js';
import { jobOptions } from '../lib/worker/job-options.js';

const cli = path.join(root, 'lib', 'cli.js');
const GETTYSBURG = 'four score and seven years ago our fathers brought forth on this continent a new nation conceived in liberty and dedicated to the proposition that all men are created equal';
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** The worker's example jobs, as its repository has them (test_input.json, .runpod/tests.json, .github/tests.json, README.md). */
const EXAMPLES = {
  'test_input.json and .runpod/tests.json': {
    audio: 'https://github.com/runpod-workers/sample-inputs/raw/main/audio/gettysburg.wav',
    model: 'turbo', transcription: 'plain text', translate: false, temperature: 0, best_of: 5, beam_size: 5, suppress_tokens: '-1',
    condition_on_previous_text: false, temperature_increment_on_fallback: 0.2, compression_ratio_threshold: 2.4, logprob_threshold: -1, no_speech_threshold: 0.6,
  },
  '.github/tests.json': {
    audio: 'https://github.com/runpod-workers/sample-inputs/raw/main/audio/gettysburg.wav',
    model: 'base', transcription: 'plain text', translate: false, temperature: 0, best_of: 5, beam_size: 5, suppress_tokens: '-1',
    condition_on_previous_text: false, temperature_increment_on_fallback: 0.2, compression_ratio_threshold: 2.4, logprob_threshold: -1, no_speech_threshold: 0.6,
  },
  'README.md': { audio: 'https://github.com/runpod-workers/sample-inputs/raw/main/audio/gettysburg.wav', model: 'turbo' },
};

/** A job with its audio URL replaced by the same recording as base64. */
function withBase64(example, audio64) {
  const { audio: _url, ...rest } = example;
  return { ...rest, audio_base64: audio64 };
}

/** A model cache holding the test models under the names the jobs use ("turbo": base), and the VAD model. */
function modelCache(t) {
  const dir = tmpDir(t);
  fs.mkdirSync(path.join(dir, 'models'));
  for (const [name, target] of [['base', 'base'], ['turbo', 'base'], ['tiny.en', 'tiny.en'], ['silero_vad_v6.onnx', 'silero_vad_v6.onnx']]) {
    fs.symlinkSync(modelDir(target), path.join(dir, 'models', name));
  }
  return dir;
}

/** Starts the worker's local API (model base); `runsync(input)` resolves to the job's status body. */
async function startWorker(t) {
  const cacheDir = modelCache(t);
  const env = { ...process.env, CT2_WHISPER_CACHE: cacheDir, MODEL_ROOTS: `${path.join(cacheDir, 'models')}:${path.join(cache, 'models')}`, WHISPER_MODEL_NAME: 'base', MAX_CACHED_MODELS: '3', CPU_THREADS: '2', JOBS_DIR: tmpDir(t) };
  for (const k of Object.keys(env)) if (k.startsWith('RUNPOD_') || k.startsWith('STORAGE_') || k === 'DEFAULT_LANGUAGE_CODE' || k === 'TASK' || k === 'MODEL_BATCH_SIZE' || k === 'DEBUG') delete env[k];
  const port = 21000 + Math.floor(Math.random() * 20000);
  const child = spawn(process.execPath, [cli, 'worker', '--rp_serve_api', '--rp_api_port', String(port)], { env, stdio: ['ignore', 'ignore', 'pipe'] });
  let logs = '';
  child.stderr.on('data', (b) => (logs += b));
  t.teardown(() => child.kill('SIGKILL'));
  const api = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 600 && child.exitCode === null; i++) {
    try {
      if ((await fetch(`${api}/health`)).ok) break;
    } catch {}
    await sleep(100);
  }
  const runsync = async (input) => {
    const r = await fetch(`${api}/runpod-faster-whisper/runsync`, { method: 'POST', body: JSON.stringify({ input }) });
    const body = await r.json();
    if (body.status !== 'COMPLETED') throw new Error(`the job failed: ${JSON.stringify(body).slice(0, 500)}\n${logs.slice(-2000)}`);
    return body.output;
  };
  return { runsync };
}

/** Part of multilingual.mp3 (faster-whisper's test data: English, then German), cut by ffmpeg, as base64. */
function clip(t, range) {
  const file = path.join(tmpDir(t), 'clip.wav');
  const ff = spawnSync('ffmpeg', ['-loglevel', 'error', '-y', ...range, '-i', fixture('multilingual.mp3'), '-ac', '1', '-ar', '16000', file], { encoding: 'utf8' });
  if (ff.status !== 0) throw new Error(`ffmpeg: ${ff.stderr}`);
  return fs.readFileSync(file).toString('base64');
}

/** Parses SRT (numbered cues, "hh:mm:ss,mmm --> hh:mm:ss,mmm", one text line, a blank line between) or WebVTT (its header, then cues with "."). */
function cues(text, kind) {
  const sep = kind === 'srt' ? ',' : '.';
  let body = text;
  if (kind === 'vtt') {
    if (!body.startsWith('WEBVTT\n\n')) throw new Error('no WEBVTT header');
    body = body.slice('WEBVTT\n\n'.length);
  }
  const time = `(\\d{2}):(\\d{2}):(\\d{2})\\${sep}(\\d{3})`;
  const timing = new RegExp(`^${time} --> ${time}$`);
  return body.trimEnd().split('\n\n').map((block, i) => {
    const lines = block.split('\n');
    if (kind === 'srt' && lines.shift() !== String(i + 1)) throw new Error(`cue ${i + 1}: not numbered ${i + 1}`);
    const m = timing.exec(lines[0]);
    if (!m || lines.length !== 2 || !lines[1].trim()) throw new Error(`cue ${i + 1}: not a timing and one line of text: ${JSON.stringify(block)}`);
    const s = (a) => Number(m[a]) * 3600 + Number(m[a + 1]) * 60 + Number(m[a + 2]) + Number(m[a + 3]) / 1000;
    return { start: s(1), end: s(5), text: lines[1] };
  });
}

/** Asserts `text` is valid SRT/WebVTT with one cue per segment, at the segments' times. */
function assertCues(t, text, kind, segments, what) {
  let parsed;
  try {
    parsed = cues(text, kind);
  } catch (e) {
    return t.fail(`${what}: valid ${kind}: ${e.message}`);
  }
  t.equal(parsed.length, segments.length, `${what}: valid ${kind.toUpperCase()}, a cue per segment (${parsed.length})`);
  t.ok(parsed.every((c, i) => Math.abs(c.start - segments[i].start) < 0.0015 && Math.abs(c.end - segments[i].end) < 0.0015 && c.start <= c.end), `${what}: the cues at the segments' times`);
  t.same(parsed.map((c) => c.text), segments.map((s) => s.text.trim()), `${what}: the segments' text`);
}

/** The fields of a segment that the worker's clients read (its serialize_segments). */
const SEGMENT_FIELDS = ['id', 'seek', 'start', 'end', 'text', 'tokens', 'temperature', 'avg_logprob', 'compression_ratio', 'no_speech_prob'];

/** Asserts what every answer of that worker holds. */
function assertOutput(t, out, { model, what }) {
  t.ok(Array.isArray(out.segments) && out.segments.length >= 1, `${what}: segments`);
  t.ok(out.segments.every((s) => SEGMENT_FIELDS.every((f) => f in s)), `${what}: each segment with ${SEGMENT_FIELDS.join(', ')}`);
  t.equal(out.detected_language, 'en', `${what}: detected_language`);
  t.ok(['cpu', 'cuda'].includes(out.device), `${what}: device ${out.device}`);
  t.equal(out.model, model, `${what}: model as the job named it`);
  t.ok('translation' in out && out.translation === null, `${what}: translation null without translate`);
}

t.test("the worker's fields are accepted, null meaning the default, and bad values refused naming the field", async (t) => {
  for (const [name, example] of Object.entries(EXAMPLES)) t.ok(parseJobInput(withBase64(example, 'AAAA')), `${name} is a valid job`);
  const hubTests = JSON.parse(fs.readFileSync(path.join(root, '.runpod', 'tests.json'), 'utf8')).tests;
  t.same(hubTests.find((x) => x.name === 'runpod_faster_whisper_worker_job')?.input, EXAMPLES['.github/tests.json'], "our RunPod hub tests run that worker's job as it is");
  const nulls = { audio: null, audio_base64: 'AAAA', model: null, transcription: null, translate: null, translation: null, language: null, temperature: null, best_of: null, beam_size: null, patience: null, length_penalty: null, suppress_tokens: null, initial_prompt: null, condition_on_previous_text: null, temperature_increment_on_fallback: null, compression_ratio_threshold: null, logprob_threshold: null, no_speech_threshold: null, enable_vad: null, word_timestamps: null };
  const opts = jobOptions(parseJobInput(nulls));
  t.same(Object.keys(opts).sort(), ['compressionRatioThreshold', 'initialPrompt', 'logProbThreshold', 'noSpeechThreshold', 'temperatureIncrementOnFallback', 'vadParameters'], 'null: the default, or "off" for an option whose null turns it off');
  t.equal(opts.logProbThreshold, null, 'logprob_threshold: null turns the check off, as in faster-whisper');
  const mapped = jobOptions(parseJobInput({ audio_base64: 'AAAA', logprob_threshold: -0.5, enable_vad: true, suppress_tokens: '-1, 50256', patience: 2, length_penalty: 0.5 }));
  t.same(mapped, { logProbThreshold: -0.5, vadFilter: true, suppressTokens: '-1, 50256', patience: 2, lengthPenalty: 0.5, vadParameters: {} });
  const bad = (input, re) => t.throws(() => parseJobInput({ audio_base64: 'AAAA', ...input }), re, JSON.stringify(input));
  bad({ transcription: 'xml' }, /transcription: must be one of plain_text, formatted_text, srt, vtt, got "xml"/);
  bad({ translation: 3 }, /translation: /);
  bad({ translate: 'yes' }, /translate: /);
  bad({ suppress_tokens: '-1,x' }, /suppress_tokens: must list token ids \(or -1\), got "x"/);
  bad({ logprob_threshold: 'low' }, /logprob_threshold: must be a number/);
  bad({ audio_base_64: 'AAAA' }, /audio_base_64, audio_base64: give only one audio source/);
});

t.test("the worker's example jobs, and what its clients read", async (t) => {
  const w = await startWorker(t);
  const gettysburg = fs.readFileSync(fixture('gettysburg.wav')).toString('base64');
  for (const [name, example] of Object.entries(EXAMPLES)) {
    const out = await w.runsync(withBase64(example, gettysburg));
    assertOutput(t, out, { model: example.model, what: name });
    t.equal(typeof out.transcription, 'string');
    t.notMatch(out.transcription, /\n|-->/, `${name}: plain text`);
    assertWords(t, out.transcription, `${name}: the transcription`, GETTYSBURG);
    t.notOk('word_timestamps' in out, `${name}: no word list unless asked`);
  }

  const words1 = await w.runsync({ audio_base64: gettysburg, model: 'base', word_timestamps: true });
  const list = words1.word_timestamps;
  t.ok(Array.isArray(list) && list.length >= 25, `word_timestamps: a flat list (${list.length} words)`);
  t.ok(list.every((w) => typeof w.word === 'string' && Number.isFinite(w.start) && Number.isFinite(w.end) && w.start <= w.end), 'each {word, start, end}');
  t.same(list, words1.segments.flatMap((s) => s.words), "every segment's words, in order");
  t.ok(list.every((w, i) => i === 0 || w.start >= list[i - 1].start), 'in time order');
  assertWords(t, list.map((w) => w.word).join(''), 'the words', GETTYSBURG);

  // Formats on a recording of several segments: the English half of multilingual.mp3.
  const english = clip(t, ['-t', '29']);
  const srt = await w.runsync({ audio_base64: english, model: 'base', transcription: 'srt', word_timestamps: true });
  assertOutput(t, srt, { model: 'base', what: 'srt' });
  t.ok(srt.segments.length >= 3, `several segments (${srt.segments.length})`);
  assertCues(t, srt.transcription, 'srt', srt.segments, 'transcription "srt"');
  t.same(srt.word_timestamps, srt.segments.flatMap((s) => s.words), 'word_timestamps: every segment\'s words, in one list');
  t.equal(words(srt.word_timestamps.map((w) => w.word).join('')), words(srt.joined_text), 'the words are the text');
  const vtt = await w.runsync({ audio_base64: english, model: 'base', transcription: 'vtt', enable_vad: true });
  assertCues(t, vtt.transcription, 'vtt', vtt.segments, 'transcription "vtt"');
  const formatted = await w.runsync({ audio_base64: english, model: 'base', transcription: 'formatted_text' });
  t.same(formatted.transcription.split('\n'), formatted.segments.map((s) => s.text.trim()), 'formatted_text: a line per segment');
});

t.test('translate: the transcription and, from a second pass, its English translation', async (t) => {
  // The German half of multilingual.mp3.
  const german = clip(t, ['-ss', '30']);
  const w = await startWorker(t);
  const out = await w.runsync({ audio_base64: german, model: 'base', transcription: 'formatted_text', translate: true, translation: 'srt' });
  t.equal(out.detected_language, 'de', 'detected: German');
  const EN = new Set(['the', 'and', 'to', 'of', 'is', 'this', 'these', 'with', 'will', 'be', 'right', 'rights', 'under']);
  const DE = new Set(['der', 'die', 'das', 'und', 'zu', 'diese', 'dies', 'mit', 'wird', 'unter', 'rechte', 'recht', 'den']);
  const hits = (text, set) => new Set(words(text).split(' ').filter((x) => set.has(x))).size;
  t.ok(hits(out.transcription, DE) >= 3 && hits(out.transcription, EN) <= 1, `transcription: German (${words(out.transcription).slice(0, 120)})`);
  t.equal(out.transcription.split('\n').length, out.segments.length, 'transcription as formatted_text');
  const translated = cues(out.translation, 'srt');
  t.ok(translated.length >= 1, `translation: valid SRT (${translated.length} cues)`);
  const english = translated.map((c) => c.text).join(' ');
  t.ok(hits(english, EN) >= 3 && hits(english, DE) <= 1, `translation: English (${words(english).slice(0, 120)})`);
  t.ok(translated.every((c, i) => c.start <= c.end && (i === 0 || c.start >= translated[i - 1].start)), 'its cues in order');
});
