// The worker process against a stand-in for RunPod's job API and a loopback audio server:
// good jobs, every kind of bad job (the worker stays up and JOBS_DIR ends empty), cancelling,
// back-off, and SIGTERM in the middle of a job.
import t from 'tap';
import fs from 'node:fs';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { root, fixture, tmpDir, assertWords, words } from './helpers.mjs';
import { startAudioServer, startRunpodStandIn } from './servers.mjs';

const cli = path.join(root, 'lib', 'cli.js');

function startWorker(t, env) {
  const child = spawn(process.execPath, [cli, 'worker'], {
    env: { ...process.env, RUNPOD_POD_ID: 'w1', RUNPOD_AI_API_KEY: 'test-key', RUNPOD_PING_INTERVAL: '300', RUNPOD_IDLE_DELAY_MS: '50', RUNPOD_THROTTLE_DELAY_MS: '200', PROGRESS_INTERVAL_MS: '200', CPU_THREADS: '2', WHISPER_MODEL_NAME: 'tiny.en', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let logs = '';
  child.stdout.on('data', (b) => (logs += b));
  child.stderr.on('data', (b) => (logs += b));
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  t.teardown(() => child.kill('SIGKILL'));
  return { child, exited, logs: () => logs };
}

const b64 = (file) => fs.readFileSync(fixture(file)).toString('base64');

t.test('jobs through the RunPod protocol', async (t) => {
  const audio = await startAudioServer(t);
  const rp = await startRunpodStandIn(t);
  const jobsDir = tmpDir(t);
  rp.state.takeStatusOverrides.push(429, 500, 400);
  const w = startWorker(t, { ...rp.env, JOBS_DIR: jobsDir, ALLOW_PRIVATE_AUDIO_URLS: '1', MAX_AUDIO_BYTES: String(3 * 1024 * 1024), AUDIO_DOWNLOAD_TIMEOUT_MS: '3000', AUDIO_CONNECT_TIMEOUT_MS: '2000' });

  const good = [
    ['url', { audio: `${audio}/audio/jfk.flac`, word_timestamps: true, output_formats: ['srt', 'vtt', 'text', 'json'] }],
    ['base64', { audio_base_64: b64('jfk.flac'), beam_size: 2, language: 'en', debug: true }],
    ['redirect', { audio_url: `${audio}/redirect-to/jfk.flac`, align_output: true }],
    ['batched', { audio_file: `${audio}/audio/jfk.flac`, batch_size: 4, vad_onset: 0.5, vad_offset: 0.35 }],
    ['vad', { audio: `${audio}/audio/jfk.flac`, vad_filter: true, vad_parameters: { min_silence_duration_ms: 500, speech_pad_ms: 200 } }],
    ['other-model', { audio: `${audio}/audio/jfk.flac`, model: 'base', temperature: [0, 0.2], task: 'transcribe' }],
    ['truncated', { audio: `${audio}/truncated/multilingual.mp3`, language: 'en' }],
  ];
  const bad = [
    ['no-audio', { language: 'en' }, /audio: is required/],
    ['two-sources', { audio: `${audio}/audio/jfk.flac`, audio_base_64: b64('jfk.flac') }, /give only one audio source/],
    ['bad-base64', { audio_base_64: '%%%not base64%%%' }, /audio_base_64: not valid base64/],
    ['not-audio-b64', { audio_base_64: Buffer.from('hello, this is text and not audio at all '.repeat(20)).toString('base64') }, /not audio that can be decoded/],
    ['empty-b64', { audio_base_64: '' }, /audio_base_64: must not be empty/],
    ['zero-bytes', { audio: `${audio}/empty` }, /empty file/],
    ['not-audio-url', { audio: `${audio}/text` }, /not audio that can be decoded/],
    ['404', { audio: `${audio}/nothing-here.mp3` }, /HTTP 404/],
    ['unreachable', { audio: 'http://127.0.0.1:9/a.mp3' }, /could not be reached/],
    ['oversized-header', { audio: `${audio}/huge-header` }, /over the limit/],
    ['oversized-stream', { audio: `${audio}/endless` }, /over the limit/],
    ['oversized-file', { audio: `${audio}/audio/Arthur.mp3` }, /over the limit/],
    ['redirect-loop', { audio: `${audio}/loop` }, /more than 5 redirects/],
    ['hang', { audio: `${audio}/hang` }, /longer than 3000 ms|could not connect/],
    ['ftp', { audio: 'ftp://example.com/a.mp3' }, /audio: must be an http\(s\) URL/],
    ['file-url', { audio_url: 'file:///etc/passwd' }, /audio_url: must be an http\(s\) URL/],
    ['unknown-model', { audio: `${audio}/audio/jfk.flac`, model: 'no-such-model' }, /unknown model "no-such-model"/],
    ['unknown-language', { audio: `${audio}/audio/jfk.flac`, language: 'xx' }, /language: unknown or unsupported language code "xx"/],
    ['beam-0', { audio: `${audio}/audio/jfk.flac`, beam_size: 0 }, /beam_size: must be an integer of at least 1 and at most 10, got 0/],
    ['beam-11', { audio: `${audio}/audio/jfk.flac`, beam_size: 11 }, /beam_size: must be an integer of at least 1 and at most 10, got 11/],
    ['negative-temperature', { audio: `${audio}/audio/jfk.flac`, temperature: -0.5 }, /temperature/],
    ['wrong-type', { audio: `${audio}/audio/jfk.flac`, word_timestamps: 'yes' }, /word_timestamps: must be true or false, got "yes"/],
    ['unknown-field', { audio: `${audio}/audio/jfk.flac`, colour: 'blue' }, /unknown field\(s\): colour/],
    ['diarization-speakers-0', { audio: `${audio}/audio/jfk.flac`, diarization: true, max_speakers: 0 }, /max_speakers: must be an integer of at least 1 and at most 64, got 0/],
    ['bad-format', { audio: `${audio}/audio/jfk.flac`, output_formats: ['docx'] }, /output_formats\.0/],
    ['input-not-object', 'just a string', /input: must be a JSON object/],
  ];
  for (const [id, input] of [...good, ...bad]) rp.add({ id, input });

  for (const [id] of good) {
    const r = await rp.result(id);
    t.notOk(r.error, `${id}: no error (${r.error ?? ''})`);
    const out = r.output;
    t.equal(out.transcription, out.joined_text, `${id}: transcription and joined_text`);
    if (id !== 'truncated') assertWords(t, out.transcription, `${id}: the words`);
    t.equal(out.detected_language, 'en');
    t.ok(Array.isArray(out.segments) && out.segments.length > 0, `${id}: segments`);
    t.ok(out.timings.total_s > 0, `${id}: timings`);
    t.equal(out.device, 'cpu');
  }
  const url = (await rp.result('url')).output;
  t.equal(url.model, 'tiny.en');
  t.equal(url.compute_type, 'int8');
  t.ok(Array.isArray(url.word_timestamps) && url.word_timestamps.length >= 20, 'flat word timestamps');
  t.match(url.srt, /^1\n00:00:0\d,\d{3} --> /);
  t.match(url.vtt, /^WEBVTT/);
  t.match(words(url.text), /ask not what your country/);
  t.ok(Array.isArray((await rp.result('redirect')).output.word_timestamps), 'align_output gives word timestamps');
  t.ok((await rp.result('base64')).output.debug.memory_mb.rss > 0, 'debug shows memory');
  t.equal((await rp.result('other-model')).output.model, 'base');
  t.ok((await rp.result('truncated')).output.duration < 25, 'a truncated file gives what it holds');
  t.ok((await rp.result('batched')).output.segments.every((s) => s.temperature === 0), 'batched');

  for (const [id, , re] of bad) {
    const r = await rp.result(id);
    t.notOk(r.output, `${id}: no output`);
    t.match(r.error, re, `${id}: ${r.error}`);
    t.notMatch(r.error, /ct2w-job-/, `${id}: no private paths in the message`);
  }
  t.equal(w.child.exitCode, null, 'the worker is still running');
  t.same(fs.readdirSync(jobsDir), [], 'JOBS_DIR is empty');
  t.ok(rp.state.pings.length > 0, `${rp.state.pings.length} heartbeats`);
  t.ok(rp.state.auth.has('test-key'), 'Authorization header from RUNPOD_AI_API_KEY');
  t.ok(rp.state.results.every((r) => r.query.includes('isStream=false')), 'results posted with isStream=false');
  t.ok(rp.state.stream.some((s) => s.body.output.segment), 'segments streamed as they were decoded');
  t.notOk(w.logs().includes('"level":50'), 'no error-level logs');

  // Stop signal for the job in hand.
  rp.add({ id: 'long', input: { audio: `${audio}/audio/NM014.mp3` } });
  while (!rp.state.progress.some((p) => p.id === 'long')) await new Promise((r) => setTimeout(r, 50));
  t.ok(rp.state.progress.find((p) => p.id === 'long').body.output.progress.seconds_total > 100, 'progress reported');
  rp.state.stops.push('long');
  const stopped = await rp.result('long', 60_000);
  t.match(stopped.error, /cancelled/, 'a stopped job reports that it was cancelled');
  rp.add({ id: 'after', input: { audio: `${audio}/audio/jfk.flac` } });
  assertWords(t, (await rp.result('after')).output.transcription, 'the next job runs');
  t.same(fs.readdirSync(jobsDir), [], 'JOBS_DIR is empty');
});

t.test('private addresses are refused unless allowed; languages outside SUPPORTED_LANGUAGES fall back', async (t) => {
  const audio = await startAudioServer(t);
  const rp = await startRunpodStandIn(t);
  const jobsDir = tmpDir(t);
  startWorker(t, { ...rp.env, JOBS_DIR: jobsDir, SUPPORTED_LANGUAGES: 'en,nl', DEFAULT_LANGUAGE_CODE: 'en' });
  rp.add({ id: 'fallback', input: { audio_base_64: b64('jfk.flac'), language: 'de' } });
  rp.add({ id: 'listed', input: { audio_base_64: b64('jfk.flac'), language: 'nl' } });
  const fb = (await rp.result('fallback')).output;
  t.same(fb.language_fallback, { requested: 'de', used: 'en' }, 'de is not listed: the default is used');
  assertWords(t, fb.transcription);
  const listed = (await rp.result('listed')).output;
  t.notOk(listed.language_fallback, 'a listed language is used as asked');
  rp.add({ id: 'private', input: { audio: `${audio}/audio/jfk.flac` } });
  rp.add({ id: 'link-local', input: { audio: 'http://169.254.169.254/latest/meta-data' } });
  rp.add({ id: 'v6-loopback', input: { audio: 'http://[::1]:9/x.wav' } });
  t.match((await rp.result('private')).error, /private, loopback or link-local address \(127\.0\.0\.1\); refused/);
  t.match((await rp.result('link-local')).error, /refused/);
  t.match((await rp.result('v6-loopback')).error, /refused/);
  t.same(fs.readdirSync(jobsDir), []);
});

t.test('SIGTERM in the middle of a job', async (t) => {
  const audio = await startAudioServer(t);
  const rp = await startRunpodStandIn(t);
  const jobsDir = tmpDir(t);
  const w = startWorker(t, { ...rp.env, JOBS_DIR: jobsDir, ALLOW_PRIVATE_AUDIO_URLS: '1', SHUTDOWN_GRACE_MS: '500' });
  rp.add({ id: 'long', input: { audio: `${audio}/audio/Arthur.mp3` } });
  while (!rp.state.progress.some((p) => p.id === 'long')) await new Promise((r) => setTimeout(r, 50));
  w.child.kill('SIGTERM');
  const r = await rp.result('long', 60_000);
  t.match(r.error, /shut down/, `the job in hand is reported: ${r.error}`);
  const { code } = await w.exited;
  t.equal(code, 0, 'the worker exits cleanly');
  t.same(fs.readdirSync(jobsDir), [], 'JOBS_DIR is empty');
});
