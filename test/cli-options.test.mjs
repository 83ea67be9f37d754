// The CLI takes every option the library takes (faster-whisper's names in kebab-case, from the
// library's own option list), the pipeline's (batching, VAD and its parameters), whisper-ctranslate2's
// spellings (snake_case, --flag true|false), and names the flag in every error. Each flag is run
// against the real model and recordings and checked by what it does to the transcript.
import t from 'tap';
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { root, fixture, modelDir, tmpDir, assertWords, words } from './helpers.mjs';
import { OPTIONS, frontName } from '../lib/options/index.js';

const cli = path.join(root, 'lib', 'cli.js');
const run = (...args) => spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', timeout: 300_000 });
const kebab = (s) => s.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
const tiny = ['--model', modelDir('tiny.en'), '--threads', '2'];
/** Transcribes with tiny.en and returns the JSON document. */
function json(t, input, ...args) {
  const r = run('transcribe', input, ...tiny, '--format', 'json', ...args);
  t.equal(r.status, 0, `${args.join(' ')}: ${r.stderr}`);
  return r.status === 0 ? JSON.parse(r.stdout) : { text: '', segments: [] };
}

/** How many adjacent token pairs (timestamps included) occur again in the same window's decoded tokens. */
function repeatedPairs(doc) {
  const seen = new Set();
  let repeats = 0;
  for (const seek of new Set(doc.segments.map((s) => s.seek))) {
    const tokens = doc.segments.filter((s) => s.seek === seek).flatMap((s) => s.tokens);
    for (let i = 1; i < tokens.length; i++) {
      const pair = `${seek}:${tokens[i - 1]},${tokens[i]}`;
      if (seen.has(pair)) repeats++;
      seen.add(pair);
    }
  }
  return repeats;
}

t.test('--help lists every library option as a flag, the VAD parameters, and examples', async (t) => {
  const r = run('transcribe', '--help');
  t.equal(r.status, 0, r.stderr);
  for (const o of OPTIONS) {
    const flag = frontName(o, 'cli');
    if (flag) t.match(r.stdout, new RegExp(`^  ${flag} `, 'm'), flag);
  }
  for (const f of ['--batch-size', '--vad-filter', '--format', '--output-dir', '--quiet']) t.match(r.stdout, new RegExp(`^  ${f} `, 'm'), f);
  t.match(r.stdout, /Examples:\n  ct2-whisper transcribe /);
  const main = run('--help');
  t.equal(main.status, 0);
  for (const c of ['transcribe', 'detect-language', 'models', 'worker']) t.match(main.stdout, new RegExp(`^  ${c}\\b`, 'm'), c);
  t.match(main.stdout, /Examples:/);
  t.match(run('help', 'detect-language').stdout, /usage: ct2-whisper detect-language/);
  t.match(run('models', '--help').stdout, /usage: ct2-whisper models/);
});

t.test('decoding flags reach the engine: each changes the transcript', async (t) => {
  const jfk = fixture('jfk.flac');
  const prefixed = json(t, jfk, '--prefix', 'Listen:');
  t.match(prefixed.segments[0]?.text, /^ Listen:/, '--prefix starts the text');
  const clipped = json(t, jfk, '--clip-timestamps', '0,5');
  t.ok(clipped.segments.length >= 1 && clipped.segments.every((s) => s.end <= 5.0001), '--clip-timestamps keeps to the clip');
  t.ok(words(clipped.text).startsWith('and so my fellow americans') && !words(clipped.text).includes('your country'), clipped.text);
  const short = json(t, jfk, '--max-new-tokens', '3', '--without-timestamps');
  t.equal(short.segments.length, 1, '--without-timestamps: one segment for the window');
  t.ok(short.segments[0].tokens.length <= 3 && words(short.text).split(' ').length <= 3, `--max-new-tokens 3: ${short.text}`);
  const hot = json(t, fixture('hotwords.mp3'), '--hotwords', 'ComfyUI');
  t.match(hot.text, /ComfyUI/i, `--hotwords steer the spelling (without: "comfy eye"; int8 on AVX-512 writes "comfyUI"): ${hot.text}`);
  const words1 = json(t, jfk, '--word_timestamps', 'True', '--beam_size', '1');
  t.ok(words1.segments[0].words?.length > 0, 'snake_case and "True", as whisper-ctranslate2 takes them');
  const noWords = json(t, jfk, '--word-timestamps', 'false');
  t.equal(noWords.segments[0].words, null, '--word-timestamps false');
  const negated = json(t, jfk, '--word-timestamps', '--no-word-timestamps');
  t.equal(negated.segments[0].words, null, '--no-word-timestamps (the last one wins)');
  // Thresholds: negative numbers after the flag, none to turn a check off, and the rest accepted.
  const thresholds = json(t, jfk, '--log-prob-threshold', '-0.5', '--no-speech-threshold', 'none', '--compression-ratio-threshold', '2.0',
    '--no-condition-on-previous-text', '--hallucination-silence-threshold', '2', '--word-timestamps', '--temperature', '0',
    '--temperature-increment-on-fallback', '0.5', '--best-of', '2', '--patience', '1.5', '--length-penalty', '1', '--repetition-penalty', '1',
    '--no-repeat-ngram-size', '0', '--prompt-reset-on-temperature', '0.4', '--initial-prompt', 'Kennedy.', '--suppress-tokens', '-1',
    '--no-suppress-blank', '--max-initial-timestamp', '2', '--prepend-punctuations', '"', '--append-punctuations', '.,', '--chunk-length', '30',
    '--language-detection-threshold', '0.5', '--language-detection-segments', '2', '--multilingual', 'false', '--task', 'transcribe');
  assertWords(t, thresholds.text, 'every decoding flag at once');
  // The penalties change tiny.en's JFK. "can do for you ... can do for your" repeats token pairs
  // within its one 30 s window; with 2-grams banned none repeats (the decoder splits them with
  // timestamps or other words; where depends on the CPU's int8 kernels, so that is not asserted).
  // A repetition penalty of 2 shouts "YOU CAN DO FOR YOUR COUNTRY".
  const plain = json(t, jfk);
  const banned = json(t, jfk, '--no-repeat-ngram-size', '2');
  t.ok(repeatedPairs(plain) > 0, `without: a token pair repeats in the window (${repeatedPairs(plain)})`);
  t.equal(repeatedPairs(banned), 0, `--no-repeat-ngram-size 2: no token pair twice in a window: ${banned.text}`);
  const penalised = json(t, jfk, '--repetition-penalty', '2');
  t.not(penalised.text, plain.text, `--repetition-penalty 2: ${penalised.text}`);
});

t.test('--language auto detects; a code skips detection', async (t) => {
  const base = ['--model', modelDir('base'), '--threads', '2', '--format', 'json'];
  const auto = JSON.parse(run('transcribe', fixture('jfk.flac'), ...base, '--language', 'auto').stdout);
  t.equal(auto.language, 'en');
  t.ok(auto.language_probability > 0.5 && auto.language_probability < 1, `detected with probability ${auto.language_probability}`);
  const given = JSON.parse(run('transcribe', fixture('jfk.flac'), ...base, '--language', 'en').stdout);
  t.equal(given.language_probability, 1, 'given: no detection');
});

t.test('--vad-filter, the VAD parameters and --batch-size reach the pipeline', async (t) => {
  const jfk = fixture('jfk.flac');
  assertWords(t, json(t, jfk, '--vad-filter').text, '--vad-filter');
  t.same(json(t, jfk, '--vad-filter', '--vad-threshold', '1').segments, [], '--vad-threshold 1: nothing is speech');
  t.same(json(t, jfk, '--vad-min-speech-duration-ms', '60000').segments, [], '--vad-min-speech-duration-ms turns the VAD on and drops short speech');
  const split = json(t, jfk, '--vad-max-speech-duration-s', '3', '--vad-min-silence-duration-ms', '100', '--vad-speech-pad-ms', '30', '--vad-neg-threshold', '0.3');
  t.ok(words(split.text).includes('ask not what your country'), `VAD parameters: ${split.text}`);
  assertWords(t, json(t, jfk, '--batch-size', '4').text, '--batch-size');
  t.same(json(t, jfk, '--batch-size', '2', '--vad-threshold', '1').segments, [], '--batch-size uses the VAD and its parameters');
});

t.test('errors name the flag, before any work', async (t) => {
  const dir = tmpDir(t);
  const noModel = path.join(dir, 'no-such-model');
  const cases = [
    [['--best-of', '11'], /^ct2-whisper: --best-of must be an integer of at least 1 and at most 10, got 11$/],
    [['--log-prob-threshold', '-101'], /^ct2-whisper: --log-prob-threshold must be a number of at least -100 and at most 100 \(or none\), got -101$/],
    [['--chunk-length', '45'], /^ct2-whisper: --chunk-length must be an integer of at least 1 and at most 30 \(or none\), got 45$/],
    [['--clip-timestamps', '5,x'], /^ct2-whisper: --clip-timestamps: "x" is not a number of seconds$/],
    [['--clip-timestamps', '5,2'], /--clip-timestamps must be in increasing order/],
    [['--max-new-tokens', '1e9'], /--max-new-tokens must be an integer of at least 1 and at most 448/],
    [['--patience', '0'], /--patience must be a number above 0 and at most 10, got 0/],
    [['--prefix', 'x'.repeat(10_001)], /--prefix is 10001 characters; at most 10000/],
    [['--hallucination-silence-threshold', 'abc'], /--hallucination-silence-threshold must be a number of at least 0 and at most 3600 \(or none\), got "abc"/],
    [['--beam_size', '0'], /--beam-size must be an integer of at least 1 and at most 10, got 0/],
    [['--word-timestamps=maybe'], /--word-timestamps must be true or false/],
    [['--condition-on-previous-text', 'perhaps'], /Unexpected argument|audio file not found: perhaps/],
    [['--suppress-tokens', '1,x'], /--suppress-tokens must be a comma-separated list of integers; item 2 of "1,x" is "x"/],
    [['--language', 'xx'], /unknown language code "xx"/],
    [['--task', 'summarize'], /--task must be "transcribe" or "translate"/],
    [['--batch-size', '0'], /--batch-size must be an integer of at least 1 and at most 1024 \(or none\), got 0/],
    [['--batch-size', '1025'], /--batch-size must be an integer of at least 1 and at most 1024/],
    [['--vad-threshold', '1.5'], /--vad-threshold must be a number of at least 0 and at most 1, got 1.5/],
    [['--vad-speech-pad-ms', '2.5'], /--vad-speech-pad-ms must be an integer of at least 0 and at most 60000, got 2.5/],
    [['--vad-max-speech-duration-s', '0'], /--vad-max-speech-duration-s must be a number above 0/],
    [['--vad-threshold', '0.6', '--no-vad-filter'], /--vad-threshold needs the VAD; drop --no-vad-filter/],
    [['--split-channels', '--batch-size', '2'], /--split-channels is not supported with --batch-size/],
    [['--temperature', '0,0.5', '--temperature-increment-on-fallback', '0.2'], /--temperature-increment-on-fallback takes one --temperature to start from/],
    [['--device', 'tpu'], /--device must be auto, cpu or cuda/],
    [['--decoder', 'sox'], /--decoder must be auto, native or ffmpeg/],
    [['--format', 'all', '--output', fixture('jfk.flac')], /--output must be a directory when there are several formats/],
    [['--output', path.join(dir, 'a.txt'), '--output-dir', dir], /give --output or --output-dir, not both/],
  ];
  for (const [args, re] of cases) {
    const started = Date.now();
    const r = run('transcribe', fixture('jfk.flac'), '--model', noModel, ...args);
    const first = r.stderr.split('\n')[0];
    t.not(r.status, 0, `${args.join(' ').slice(0, 60)} fails`);
    t.match(first, re, first);
    t.notMatch(r.stderr, /unknown model/, 'before the model is looked at');
    t.ok(Date.now() - started < 10_000, 'at once');
  }
});

t.test('--format all writes json, srt, vtt and txt beside each input, or into --output-dir', async (t) => {
  const dir = tmpDir(t);
  fs.copyFileSync(fixture('jfk.flac'), path.join(dir, 'jfk.flac'));
  fs.copyFileSync(fixture('gettysburg.wav'), path.join(dir, 'gettysburg.wav'));
  let r = run('transcribe', path.join(dir, 'jfk.flac'), path.join(dir, 'gettysburg.wav'), ...tiny, '--format', 'all');
  t.equal(r.status, 0, r.stderr);
  t.equal(r.stdout, '', 'nothing on stdout');
  t.same(fs.readdirSync(dir).sort(), ['gettysburg.json', 'gettysburg.srt', 'gettysburg.txt', 'gettysburg.vtt', 'gettysburg.wav', 'jfk.flac', 'jfk.json', 'jfk.srt', 'jfk.txt', 'jfk.vtt']);
  assertWords(t, JSON.parse(fs.readFileSync(path.join(dir, 'jfk.json'), 'utf8')).text);
  t.match(fs.readFileSync(path.join(dir, 'jfk.srt'), 'utf8'), /^1\n00:00:0\d,\d{3} --> /);
  t.match(fs.readFileSync(path.join(dir, 'jfk.vtt'), 'utf8'), /^WEBVTT\n\n00:00:0\d\.\d{3} --> /);
  t.match(words(fs.readFileSync(path.join(dir, 'gettysburg.txt'), 'utf8')), /four score and seven years ago/);

  const out = path.join(dir, 'out', 'nested');
  r = run('transcribe', fixture('jfk.flac'), ...tiny, '--format', 'all', '--output-dir', out);
  t.equal(r.status, 0, r.stderr);
  t.same(fs.readdirSync(out).sort(), ['jfk.json', 'jfk.srt', 'jfk.txt', 'jfk.vtt'], '--output-dir is created');
  r = run('transcribe', fixture('jfk.flac'), ...tiny, '--format', 'srt', '--output-dir', path.join(dir, 'one'));
  t.equal(r.status, 0, r.stderr);
  t.same(fs.readdirSync(path.join(dir, 'one')), ['jfk.srt'], 'one format into --output-dir');
  r = run('transcribe', fixture('jfk.flac'), ...tiny, '--output_format', 'txt', '--output_dir', path.join(dir, 'snake'));
  t.equal(r.status, 0, r.stderr);
  t.same(fs.readdirSync(path.join(dir, 'snake')), ['jfk.txt'], "whisper-ctranslate2's --output_format txt --output_dir");
});
