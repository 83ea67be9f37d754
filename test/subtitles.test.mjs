// Subtitles and the batched pipeline's segments on real speech with long stretches of non-speech
// between the passages (jfk.flac, gettysburg.wav and jfk.flac again, joined with silence, noise
// and a tone), tiny.en: the cue rules of srt and vtt through the library, the CLI, the worker and
// the server, and the batched pipeline's segments. int8 is checked by the rules and the words;
// float32 where the text must stay exactly the decoder's.
import t from 'tap';
import fs from 'node:fs';
import path from 'node:path';
import { WhisperModel, decodeAudio, render, optionsForFormats, subtitleCues, joinedText } from '../lib/index.js';
import { fixture, modelDir, tmpDir, wavBytes, assertWords, words, checkMonotonic, runCli, JFK_WORDS } from './helpers.mjs';
import { startServe } from './servers.mjs';

const SR = 16000;
const GETTYSBURG_WORDS = 'four score and seven years ago our fathers brought forth on this continent a new nation conceived in liberty and dedicated to the proposition that all men are created equal';

/** The recording: its samples, where each passage was put, and the stretches of non-speech between. */
async function recording() {
  const [jfk] = await decodeAudio(fixture('jfk.flac'));
  const [gettysburg] = await decodeAudio(fixture('gettysburg.wav'));
  let seed = 7;
  const noise = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648 - 0.5) * 0.02;
  const fill = { silence: () => 0, noise, tone: (i) => 0.05 * Math.sin((2 * Math.PI * 440 * i) / SR) };
  const plan = [['silence', 2], jfk, ['noise', 25], gettysburg, ['tone', 20], jfk, ['silence', 3]];
  const total = plan.reduce((n, p) => n + (p instanceof Float32Array ? p.length : p[1] * SR), 0);
  const audio = new Float32Array(total);
  const passages = [];
  const gaps = [];
  let at = 0;
  for (const p of plan) {
    if (p instanceof Float32Array) {
      audio.set(p, at);
      passages.push({ start: at / SR, end: (at + p.length) / SR });
      at += p.length;
    } else {
      for (let i = 0; i < p[1] * SR; i++) audio[at + i] = fill[p[0]](i);
      gaps.push({ start: at / SR, end: at / SR + p[1], kind: p[0] });
      at += p[1] * SR;
    }
  }
  return { audio, passages, gaps: gaps.filter((g) => g.end - g.start > 10), duration: total / SR };
}

const { audio, passages, gaps } = await recording();
const SAID = `${JFK_WORDS} ${GETTYSBURG_WORDS} ${JFK_WORDS}`;
const dir = tmpDir(t);
const wav = path.join(dir, 'passages.wav');
fs.writeFileSync(wav, wavBytes(audio));

function seconds(stamp) {
  return stamp.trim().replace(',', '.').split(':').map(Number).reduce((a, v) => a * 60 + v, 0);
}

/** The cues of an SRT or WebVTT file. */
function parseCues(text) {
  return text.replace(/^WEBVTT\n\n/, '').split(/\n\n+/).filter((b) => b.includes('-->')).map((block) => {
    const lines = block.split('\n');
    const at = lines.findIndex((l) => l.includes('-->'));
    const [a, b] = lines[at].split('-->');
    return { start: seconds(a), end: seconds(b), lines: lines.slice(at + 1).filter((l) => l !== '') };
  });
}

/**
 * The cue rules: in order and apart; each at most `maxCueSeconds` (a one-word cue aside) and at
 * most `maxLineCount` lines of at most `maxLineWidth` characters and `maxWordsPerLine` words (a
 * one-word line aside); none across the stretches of non-speech (a cue may reach 1 s into one,
 * as a word's end may); each passage's first cue starts at its speech, not in the stretch before.
 */
function checkCues(t, cues, rules = {}) {
  const { maxCueSeconds = 7, maxLineCount = 2, maxLineWidth = 42, maxWordsPerLine = Infinity } = rules;
  t.ok(cues.length > 0, `${cues.length} cues`);
  let previous = 0;
  for (const c of cues) {
    const text = c.lines.join(' ');
    const where = `cue ${c.start}-${c.end} ${JSON.stringify(text)}`;
    t.ok(c.start < c.end && c.start >= previous - 1e-3, `${where}: in order`);
    previous = c.end;
    const oneWord = !/\s/.test(text.trim());
    if (!oneWord) t.ok(c.end - c.start <= maxCueSeconds + 1e-3, `${where}: at most ${maxCueSeconds} s`);
    t.ok(c.lines.length <= maxLineCount, `${where}: at most ${maxLineCount} lines`);
    for (const l of c.lines) {
      const n = l.trim().split(/\s+/).length;
      if (n > 1) t.ok([...l].length <= maxLineWidth && n <= maxWordsPerLine, `${where}: line ${JSON.stringify(l)} fits`);
    }
    for (const g of gaps) t.ok(c.end <= g.start + 1 || c.start >= g.end - 0.2, `${where}: not over the ${g.kind} at ${g.start}-${g.end} s`);
  }
  for (const p of passages) {
    const first = cues.find((c) => c.end > p.start && c.start < p.end);
    t.ok(first && first.start >= p.start - 0.2 && first.start <= p.start + 1.5, `the passage at ${p.start} s: its first cue starts at its speech (${first?.start})`);
  }
  assertWords(t, cues.map((c) => c.lines.join(' ')).join(' '), 'the cues say what was said', SAID);
}

const model = await WhisperModel.load(modelDir('tiny.en'), { device: 'cpu', computeType: 'int8', cpuThreads: 2 });
t.teardown(() => model.dispose());

t.test('subtitles of the sequential pipeline: its segments stay faster-whisper\'s, the cues are cut from its words', async (t) => {
  const options = optionsForFormats({}, ['srt']);
  t.same(options, { wordTimestamps: true, speechRegions: true }, 'srt: word timestamps, and where the speech is');
  t.same(optionsForFormats({ wordTimestamps: false }, ['vtt']), { wordTimestamps: false, speechRegions: true }, 'what the caller says stays');
  t.same(optionsForFormats({}, ['json', 'text']), {}, 'other formats: nothing added');
  const r = await model.transcribe(audio, options);
  const plain = await model.transcribe(audio, { wordTimestamps: true });
  t.same(r.segments, plain.segments, 'the segments are those of word timestamps alone (faster-whisper\'s)');
  t.ok(r.speech.length >= 3 && r.speech.every((s, i) => s.start < s.end && (i === 0 || s.start > r.speech[i - 1].end)), `${r.speech.length} stretches of speech, in order`);
  t.notOk('speech' in plain, 'no VAD, no speech stretches');
  checkCues(t, parseCues(render(r, 'srt')));
  checkCues(t, parseCues(render(r, 'vtt', { maxLineWidth: 24, maxLineCount: 1, maxCueSeconds: 4 })), { maxLineWidth: 24, maxLineCount: 1, maxCueSeconds: 4 });
  checkCues(t, parseCues(render(r, 'srt', { maxWordsPerLine: 3 })), { maxWordsPerLine: 3 });
  t.match(render(r, 'vtt'), /^WEBVTT\n\n\d\d:\d\d:\d\d\.\d{3} --> /);

  const cues = subtitleCues(r);
  for (const c of cues) t.equal(c.lines.reduce((a, n) => a + n, 0), c.words.length, 'every word of a cue is on one of its lines');
  const karaoke = parseCues(render(r, 'srt', { highlightWords: true }));
  const underlined = karaoke.filter((c) => c.lines.join('\n').includes('<u>'));
  t.ok(underlined.length >= cues.reduce((n, c) => n + c.words.length, 0) * 0.9, `a cue per word (${underlined.length})`);
  for (const c of underlined) t.equal(c.lines.join('\n').match(/<u>/g).length, 1, 'one word underlined');
  for (const c of karaoke) t.ok(cues.some((p) => c.start >= p.start - 1e-3 && c.end <= p.end + 1e-3), 'inside the cue it highlights');

  const estimated = parseCues(render({ ...r, segments: (await model.transcribe(audio)).segments, speech: undefined }, 'srt'));
  t.ok(estimated.every((c) => c.lines.length <= 2 && c.end - c.start <= 7.001 + 1e-3), 'without words: cues still within the rules, times shared out by characters');
});

t.test('the batched pipeline: segments follow speech, each with its words', async (t) => {
  const r = await model.transcribe(audio, { batchSize: 8 });
  const mid = (w) => (w.start + w.end) / 2;
  const gapsOf = r.speech.map((x, i) => [i ? r.speech[i - 1].end : 0, x.start]);
  const silence = (a, b) => Math.max(0, ...gapsOf.map(([s, e]) => Math.min(e, b) - Math.max(s, a)));
  const wordless = await model.transcribe(audio, { batchSize: 8, wordTimestamps: false });
  t.equal(words(joinedText(r.segments)), words(joinedText(wordless.segments)), 'the same words as without word timestamps: none lost or changed');
  assertWords(t, joinedText(r.segments), 'the words', SAID);
  checkMonotonic(t, r, r.info.duration, 1e-6, 0.1);
  t.ok(r.segments.length >= 3, `${r.segments.length} segments`);
  for (const s of r.segments) {
    const where = `segment ${s.id} ${s.start}-${s.end} ${JSON.stringify(s.text)}`;
    t.ok(s.words.length > 0 && s.text.trim().length > 0, `${where}: has words and text`);
    t.equal(s.start, s.words[0].start, `${where}: starts at its first word`);
    t.equal(s.end, s.words[s.words.length - 1].end, `${where}: ends at its last word`);
    t.equal(s.words.map((w) => w.word).join(''), s.text, `${where}: its words are its text`);
    t.notOk(s.words.slice(0, -1).some((w) => /[.!?]$/.test(w.word.trim())), `${where}: one sentence at most`);
    // ~1 s: the cut is made before the words are trimmed to the speech, which may widen a pause by a little.
    t.notOk(s.words.some((w, i) => i > 0 && w.start - s.words[i - 1].end > 1.25), `${where}: no pause of more than ~1 s inside`);
    t.notOk(s.words.some((w, i) => i > 0 && silence(mid(s.words[i - 1]), mid(w)) > 1.05), `${where}: no 1 s without speech (the VAD's) between two of its words`);
    for (const g of gaps) t.ok(s.end <= g.start + 1 || s.start >= g.end - 0.2, `${where}: not over the ${g.kind} at ${g.start}-${g.end} s`);
  }
  checkCues(t, parseCues(render(r, 'srt')));
  t.equal(wordless.segments.every((s) => s.words === null), true, 'wordTimestamps: false: no words');
  t.same(r.info.transcription_options.wordTimestamps, true, 'word timestamps by default');

  const exact = await WhisperModel.load(modelDir('tiny.en'), { device: 'cpu', computeType: 'float32', cpuThreads: 2 });
  t.teardown(() => exact.dispose());
  const a = await exact.transcribe(fixture('jfk.flac'), { batchSize: 4 });
  const b = await exact.transcribe(fixture('jfk.flac'), { batchSize: 4, wordTimestamps: false });
  t.equal(joinedText(a.segments), joinedText(b.segments), 'float32: the text of the segments is exactly the decoder\'s');
  t.equal(words(joinedText(a.segments)), JFK_WORDS);
});

t.test('the CLI writes cues by its flags', async (t) => {
  const srt = await runCli(['transcribe', wav, '--model', modelDir('tiny.en'), '--threads', '2', '--format', 'srt', '--max-line-width', '24', '--max-line-count', '1', '--quiet']);
  t.equal(srt.status, 0, srt.stderr);
  checkCues(t, parseCues(srt.stdout), { maxLineWidth: 24, maxLineCount: 1 });
  const vtt = await runCli(['transcribe', wav, '--model', modelDir('tiny.en'), '--threads', '2', '--batch-size', '8', '--format', 'vtt', '--highlight-words', '--quiet']);
  t.equal(vtt.status, 0, vtt.stderr);
  t.match(vtt.stdout, /^WEBVTT\n/);
  t.match(vtt.stdout, /<u>\w+/);
  const bad = await runCli(['transcribe', wav, '--format', 'srt', '--max-cue-seconds', '0.5']);
  t.equal(bad.status, 2);
  t.match(bad.stderr, /--max-cue-seconds must be a number of at least 1 and at most 600, got 0\.5/);
});

t.test('the worker and the server take the same rules', async (t) => {
  const cwd = tmpDir(t);
  const input = { audio_base_64: fs.readFileSync(wav).toString('base64'), output_formats: ['srt', 'vtt'], max_words_per_line: 3, result_mode: 'full' };
  fs.writeFileSync(path.join(cwd, 'test_input.json'), JSON.stringify({ input }));
  const job = await runCli(['worker'], { cwd, env: { ...process.env, WHISPER_MODEL_NAME: 'tiny.en', CPU_THREADS: '2' } });
  t.equal(job.status, 0, job.stderr.slice(-500));
  checkCues(t, parseCues(job.result.output.srt), { maxWordsPerLine: 3 });
  checkCues(t, parseCues(job.result.output.vtt), { maxWordsPerLine: 3 });

  const { url } = await startServe(t, ['--model', 'tiny.en', '--max-file-bytes', '20000000']);
  const post = async (fields) => {
    const form = new FormData();
    form.set('file', new Blob([fs.readFileSync(wav)]), 'passages.wav');
    form.set('model', 'tiny.en');
    for (const [k, v] of Object.entries(fields)) form.set(k, String(v));
    return fetch(`${url}/v1/audio/transcriptions`, { method: 'POST', body: form });
  };
  const res = await post({ response_format: 'srt', max_line_width: 20, max_line_count: 1, max_cue_seconds: 5 });
  t.equal(res.status, 200);
  checkCues(t, parseCues(await res.text()), { maxLineWidth: 20, maxLineCount: 1, maxCueSeconds: 5 });
  const bad = await post({ response_format: 'srt', max_line_count: 0 });
  t.equal(bad.status, 400);
  const body = await bad.json();
  t.equal(body.error.param, 'max_line_count');
  t.match(body.error.message, /max_line_count must be an integer of at least 1/);
});
