// Inputs that used to give wrong answers instead of errors (issue 17, items 10 and 13): float
// samples no recording has (NaN, ±Infinity, ±3e38) are refused on every path, a NaN speaker sample
// matches no one; speaker names cannot inject SRT/VTT cues; the worker's preview fits
// MAX_RESULT_BYTES; the "too short" sample message states the real limit (as docs/diarization.md does).
import t from 'tap';
import fs from 'node:fs';
import path from 'node:path';
import { decodeAudio, WhisperModel, diarize, diarizeSamples, toSrt, toVtt, toText } from '../lib/index.js';
import { fitOutput } from '../lib/worker/result.js';
import * as embedding from '../lib/diarize/embedding.js';
import { S3Client, CreateBucketCommand } from '@aws-sdk/client-s3';
import { fixture, modelDir, tmpDir, words, runCli, JFK_WORDS } from './helpers.mjs';
import { startS3 } from './servers.mjs';

const SR = 16000;
const CORRUPT = /sample \d+ \(at [\d.]+ s of the 16 kHz audio\) is (NaN|-?Infinity|-?[\d.e+]+), (not a number a recording has|more than 64 times full scale).*corrupt/;

/** An IEEE float (format 3) mono WAV of `samples` at `rate`. */
function floatWav(samples, rate = SR) {
  const b = Buffer.alloc(44 + samples.length * 4);
  b.write('RIFF', 0);
  b.writeUInt32LE(36 + samples.length * 4, 4);
  b.write('WAVEfmt ', 8);
  b.writeUInt32LE(16, 16);
  b.writeUInt16LE(3, 20);
  b.writeUInt16LE(1, 22);
  b.writeUInt32LE(rate, 24);
  b.writeUInt32LE(rate * 4, 28);
  b.writeUInt16LE(4, 32);
  b.writeUInt16LE(32, 34);
  b.write('data', 36);
  b.writeUInt32LE(samples.length * 4, 40);
  samples.forEach((x, i) => b.writeFloatLE(x, 44 + i * 4));
  return b;
}

const [jfk] = await decodeAudio(fixture('jfk.flac'));
const model = await WhisperModel.load(modelDir('tiny.en'), { device: 'cpu', cpuThreads: 2 });
t.teardown(() => model.dispose());

/** jfk with `value` written over 4000 samples from 2 s. */
function spoiled(value) {
  const x = Float32Array.from(jfk);
  x.fill(value, 2 * SR, 2 * SR + 4000);
  return x;
}

t.test('NaN, ±Infinity and ±3e38 in a float WAV are refused, at 16 kHz and resampled', async (t) => {
  const dir = tmpDir(t);
  for (const [name, value] of [['nan', NaN], ['inf', Infinity], ['-inf', -Infinity], ['huge', 3e38], ['-huge', -3e38], ['100x', 100]]) {
    for (const rate of [SR, 44100]) {
      const samples = rate === SR ? spoiled(value) : Float32Array.from({ length: 4 * rate }, (_, i) => (i > rate && i < rate + 3000 ? value : 0.1 * Math.sin(i / 7)));
      const file = path.join(dir, `${name}-${rate}.wav`);
      fs.writeFileSync(file, floatWav(samples, rate));
      await t.rejects(decodeAudio(file), CORRUPT, `${name} at ${rate} Hz: decodeAudio (a path)`);
      await t.rejects(decodeAudio(fs.readFileSync(file)), CORRUPT, `${name} at ${rate} Hz: decodeAudio (a Buffer)`);
      if (rate === SR) {
        let text;
        const r = await model.transcribe(file).then((x) => (text = x.segments.map((s) => s.text).join('')), (e) => e);
        t.match(r?.message ?? `transcribed as ${JSON.stringify(text)}`, CORRUPT, `${name}: transcribe refuses it`);
      }
    }
  }
  // Over full scale a little: a float recording may be; it still decodes and transcribes.
  const loud = Float32Array.from(jfk, (x) => x * 1.8);
  const file = path.join(dir, 'loud.wav');
  fs.writeFileSync(file, floatWav(loud));
  const [decoded] = await decodeAudio(file);
  t.ok(Math.max(...decoded.subarray(0, 5 * SR).map(Math.abs)) > 1, 'samples past ±1 are kept');
  t.equal(words((await model.transcribe(file, { language: 'en' })).segments.map((s) => s.text).join(' ')), JFK_WORDS, 'and transcribe');
});

t.test('a Float32Array with NaN or huge samples, on every entry point', async (t) => {
  for (const value of [NaN, 3e38, -Infinity]) {
    const x = spoiled(value);
    await t.rejects(decodeAudio(x), CORRUPT, `${value}: decodeAudio`);
    await t.rejects(model.transcribe(x), CORRUPT, `${value}: transcribe`);
    await t.rejects(model.transcribe(x, { batchSize: 4 }), CORRUPT, `${value}: transcribe batched`);
    await t.rejects(model.detectLanguage(x), CORRUPT, `${value}: detectLanguage`);
    await t.rejects(diarizeSamples(x), CORRUPT, `${value}: diarizeSamples`);
    const [bad, good] = await model.transcribeTogether([{ audio: x, options: {} }, { audio: jfk, options: { language: 'en' } }], 4);
    t.match(bad?.message, CORRUPT, `${value}: transcribeTogether fails that request`);
    t.equal(words(good.segments.map((s) => s.text).join(' ')), JFK_WORDS, 'and not the other');
  }
});

t.test('a NaN speaker sample matches no one: it is refused', async (t) => {
  const [left, right] = await decodeAudio(fixture('stereo_diarization.wav'), { splitChannels: true });
  const mixed = left.map((x, i) => (x + right[i]) / 2);
  const nanSample = new Float32Array(2 * SR).fill(NaN);
  const result = await diarize(mixed, { speakerSamples: [{ name: 'Ghost', audio: nanSample }] }).then(
    (d) => `matched: ${JSON.stringify(d.speakers)}`,
    (e) => e.message,
  );
  t.match(result, /speaker sample "Ghost" \(speakerSamples\[0\]\) could not be read as audio: .*is NaN/, result);
  const hugeWav = floatWav(Float32Array.from({ length: 2 * SR }, (_, i) => (i % 2 ? 3e38 : -3e38)));
  await t.rejects(diarize(mixed, { speakerSamples: [{ name: 'Loud', audio: hugeWav }] }), /speaker sample "Loud" .*more than 64 times full scale/);
});

t.test('the "too short" speaker sample: the real limit, in the message and the docs', async (t) => {
  const [left, right] = await decodeAudio(fixture('stereo_diarization.wav'), { splitChannels: true });
  const mixed = left.map((x, i) => (x + right[i]) / 2);
  const MIN_CLIP_SECONDS = embedding.MIN_CLIP_SECONDS ?? 0.415;
  t.equal(embedding.MIN_CLIP_SECONDS, 0.415, '40 fbank frames: 400 + 39 × 160 samples');
  const under = left.slice(2.5 * SR, 2.5 * SR + Math.round(MIN_CLIP_SECONDS * SR) - 1);
  const err = await diarize(mixed, { speakerSamples: [{ name: 'Brief', audio: under }] }).then(() => undefined, (e) => e);
  t.match(err?.message, /speaker sample "Brief" \(speakerSamples\[0\]\) is too short: 0\.414 s, and at least 0\.415 s of audio is needed/);
  const enough = left.slice(2.5 * SR, 2.5 * SR + Math.round(MIN_CLIP_SECONDS * SR));
  const ok = await diarize(mixed, { speakerSamples: [{ name: 'Brief', audio: enough }] });
  t.ok(ok.speakers.length >= 1, 'a sample of exactly the limit is used');
  const readme = fs.readFileSync(new URL('../docs/diarization.md', import.meta.url), 'utf8');
  t.match(readme, /shorter than 0\.415 s/, 'docs/diarization.md says the same limit');
  t.notMatch(readme, /shorter than 0\.4 s/, 'and not the old one');
});

t.test('speaker names cannot inject cues into SRT or VTT', async (t) => {
  const evil = 'Alice\n\n99\n00:00:00,000 --> 00:09:00,000\nINJECTED\n\nWEBVTT\r\n00:00.000 --> 09:00.000\u2028X\u0007';
  const tr = {
    segments: [
      { id: 1, start: 0, end: 2, text: ' Hello there.', speaker: evil },
      { id: 2, start: 2, end: 4, text: ' General\nKenobi.', speaker: 'SPEAKER_01' },
    ],
    info: { language: 'en', language_probability: 1, duration: 4 },
  };
  const srt = toSrt(tr);
  const cues = srt.trim().split(/\n\n/);
  // (No rendering in the messages: U+2028 in a TAP line breaks the report.)
  t.equal(cues.length, 2, 'two SRT cues');
  t.equal((srt.match(/-->/g) ?? []).length, 2, 'two timing lines');
  // The subtitle writer lays a cue out in at most two lines (the label counts towards the width).
  t.ok(cues.every((c) => c.split('\n').length >= 3 && c.split('\n').length <= 4), 'each cue: number, timing, one or two lines of text');
  t.ok(/^1\n00:00:00,000 --> 00:00:02,000\n\[Alice 99 00:00:00,000 -> 00:09:00,000 INJECTED WEBVTT 00:00.000 -> 09:00.000 X\]: Hello\s+there\.$/.test(cues[0]), 'the name on one line, in its cue');
  const vtt = toVtt(tr);
  t.equal((vtt.match(/-->/g) ?? []).length, 2, 'two VTT timing lines');
  t.equal(vtt.trim().split(/\n\n/).length, 3, 'the header and two cues');
  t.equal(toText(tr).split('\n').filter(Boolean).length, 2, 'text: one line per segment');
});

t.test('the worker\'s preview fits MAX_RESULT_BYTES', async (t) => {
  // Unit: a text larger than the limit by itself.
  const text = ' word'.repeat(4000);
  const segments = Array.from({ length: 200 }, (_, i) => ({ id: i + 1, start: i, end: i + 1, text: ' word'.repeat(20) }));
  const full = { transcription: text, joined_text: text, segments, model_output: { segments } };
  for (const max of [8000, 20_000, 50_000]) {
    const out = fitOutput(full, segments, max, []);
    const size = Buffer.byteLength(JSON.stringify(out));
    t.ok(size <= max, `MAX_RESULT_BYTES=${max}: ${size} bytes`);
    t.equal(out.transcription, out.joined_text, 'both text fields the same');
    t.ok(text.startsWith(out.transcription), 'a prefix of the text');
    if (max < 40_000) {
      t.equal(out.text_truncated, true, 'the text cut: it does not fit twice');
      t.match(out.truncated_reason, /transcription is cut to \d+ of its 20000 bytes/);
    } else {
      t.notOk(out.text_truncated, 'the text fits twice: only segments dropped');
      t.ok(out.segments.length < 50, `${out.segments.length} segments`);
      t.match(out.truncated_reason, /the preview holds \d+ segments/);
    }
  }

  // End to end: a 3 min 48 s recording with MAX_RESULT_BYTES=3000, without and with storage.
  const env = { ...process.env, WHISPER_MODEL_NAME: 'tiny.en', CPU_THREADS: '2', MAX_RESULT_BYTES: '3000' };
  for (const k of Object.keys(env)) if (k.startsWith('RUNPOD_') || k.startsWith('STORAGE_') || k === 'DEBUG') delete env[k];
  const dir = tmpDir(t);
  fs.writeFileSync(path.join(dir, 'test_input.json'), JSON.stringify({ input: { audio_base_64: fs.readFileSync(fixture('Arthur.mp3')).toString('base64'), language: 'en' } }));
  const r = await runCli(['worker'], { cwd: dir, env, timeoutMs: 600_000 });
  t.equal(r.status, 0, r.stderr.slice(-400));
  const last = r.stdout.trim().split('\n').pop();
  t.ok(Buffer.byteLength(JSON.stringify(r.result.output)) <= 3000, `the output is ${Buffer.byteLength(JSON.stringify(r.result.output))} bytes (${Buffer.byteLength(last)} with its envelope)`);
  t.equal(r.result.output.text_truncated, true, 'the text was cut');
  t.match(r.result.output.transcription, /arthur/i, 'from its beginning');

  const s3 = await startS3(t);
  const client = new S3Client({ endpoint: s3, region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId: 'k', secretAccessKey: 's' } });
  await client.send(new CreateBucketCommand({ Bucket: 'transcripts' }));
  client.destroy();
  const stored = await runCli(['worker'], { cwd: dir, env: { ...env, STORAGE_ENDPOINT: s3, STORAGE_BUCKET: 'transcripts', STORAGE_ACCESS_KEY: 'k', STORAGE_SECRET_KEY: 's', STORAGE_REGION: 'us-east-1' }, timeoutMs: 600_000 });
  t.equal(stored.status, 0, stored.stderr.slice(-400));
  const out = stored.result.output;
  t.ok(Buffer.byteLength(JSON.stringify(out)) <= 3000, `with storage, the preview is ${Buffer.byteLength(JSON.stringify(out))} bytes`);
  const whole = await (await fetch(out.full_result.url)).json();
  t.ok(whole.text.length > out.transcription.length && whole.text.startsWith(out.transcription.trim().slice(0, 50)), 'the whole text is in full_result');
  t.match(out.truncated_reason, /the whole is in full_result/);
});
