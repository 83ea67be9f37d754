// Issue 11, the worker half: the seed workers' jobs and settings run unchanged. WhisperX's job
// fields, the dembrane worker's output and settings, the storage contract (preview, full result,
// RunPod's result limit), the Hub token kept secret, TASK / MODEL_BATCH_SIZE / DEFAULT_LANGUAGE_CODE /
// DEBUG / PRINT_MOUNTS / the older HF cache names / VAD_MODEL_PATH, the message of a worker with no
// model and no network, the idle poll loop without a listener leak, --rp_serve_api's body bound
// and the bundled test_input.json offline.
import t from 'tap';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { getEventListeners } from 'node:events';
import v8 from 'node:v8';
import vm from 'node:vm';
import { S3Client, CreateBucketCommand } from '@aws-sdk/client-s3';
import { root, fixture, tmpDir, modelDir, assertWords, words, runCli } from './helpers.mjs';
import { startRunpodStandIn, startHubStandIn, startS3 } from './servers.mjs';
import { parseJobInput } from '../lib/worker/schema.js';
import { jobOptions } from '../lib/worker/job-options.js';
import { previewSegments, fitOutput, PREVIEW_SEGMENTS } from '../lib/worker/result.js';
import { configFromEnv, CPU_MAX_BATCH_SIZE, DEFAULT_MAX_RESULT_BYTES } from '../lib/worker/config.js';
import { settingsFromEnv } from '../lib/env.js';
import { maxRequestBytes } from '../lib/worker/local.js';
import { RunpodWorker, sleep } from '../lib/worker/runpod.js';
import { createLogger } from '../lib/worker/logger.js';
import { mounts } from '../lib/worker/mounts.js';

const cli = path.join(root, 'lib', 'cli.js');
const SETTINGS = /^(RUNPOD_|STORAGE_|WHISPER|HF_|HUGGINGFACE_|TRANSFORMERS_CACHE$|TASK$|MODEL_BATCH_SIZE$|DEFAULT_LANGUAGE_CODE$|DEBUG$|PRINT_MOUNTS$|MAX_RESULT_BYTES$|CONSOLE_LOG_LEVEL$|VAD_MODEL_PATH$)/;
const baseEnv = { ...process.env, WHISPER_MODEL_NAME: 'tiny.en', CPU_THREADS: '2' };
for (const k of Object.keys(baseEnv)) if (SETTINGS.test(k) && k !== 'WHISPER_MODEL_NAME') delete baseEnv[k];
const jfk64 = () => fs.readFileSync(fixture('jfk.flac')).toString('base64');

/** Runs `ct2-whisper worker` on a ./test_input.json holding `job` (base64 is too long for a command line). */
function runJob(t, job, env = {}, opts = {}) {
  const cwd = tmpDir(t);
  fs.writeFileSync(path.join(cwd, 'test_input.json'), JSON.stringify(job));
  const full = { ...baseEnv, ...env };
  for (const [k, v] of Object.entries(full)) if (v === undefined) delete full[k];
  return runCli(['worker'], { cwd, env: full, timeoutMs: opts.timeoutMs ?? 300_000 });
}

t.test('job fields: WhisperX-style jobs are accepted; vad_onset/vad_offset turn the VAD on; batch_size up to 1024', async (t) => {
  const job = parseJobInput({
    audio: 'https://example.com/a.mp3', huggingface_access_token: 'hf_x', min_speakers: 1, max_speakers: 3, batch_size: 1024, result_mode: 'full',
  });
  t.equal(job.huggingface_access_token, 'hf_x');
  t.equal(job.batch_size, 1024);
  t.throws(() => parseJobInput({ audio: 'https://example.com/a.mp3', batch_size: 1025 }), /batch_size: must be an integer of at least 1 and at most 1024/);
  t.throws(() => parseJobInput({ audio: 'https://example.com/a.mp3', min_speakers: 0 }), /min_speakers/);
  t.throws(() => parseJobInput({ audio: 'https://example.com/a.mp3', result_mode: 'some' }), /result_mode/);
  t.throws(() => parseJobInput({ audio: 'https://example.com/a.mp3', diarization: true, min_speakers: 3, max_speakers: 2 }), /min_speakers \(3\) is more than max_speakers \(2\)/);
  const opts = jobOptions(job);
  t.notOk('huggingfaceAccessToken' in opts, 'the token is not a transcription option');
  t.notOk('minSpeakers' in opts);
  t.equal(jobOptions(parseJobInput({ audio_base_64: 'AAAA', vad_onset: 0.6 })).vadFilter, true, 'vad_onset turns the VAD on');
  t.equal(jobOptions(parseJobInput({ audio_base_64: 'AAAA', vad_offset: 0.3 })).vadFilter, true, 'vad_offset turns the VAD on');
  t.equal(jobOptions(parseJobInput({ audio_base_64: 'AAAA', vad_onset: 0.6, vad_filter: false })).vadFilter, false, 'an explicit vad_filter wins');
  t.equal(jobOptions(parseJobInput({ audio_base_64: 'AAAA' })).vadFilter, undefined, 'no thresholds: left to the library');
});

t.test('result shapes: the preview of the first 50 segments without words, and the limit', async (t) => {
  const segments = Array.from({ length: 120 }, (_, i) => ({ id: i + 1, start: i, end: i + 1, text: ` word${i}`, words: [{ start: i, end: i + 1, word: ` word${i}`, probability: 0.9 }] }));
  const preview = previewSegments(segments);
  t.equal(PREVIEW_SEGMENTS, 50);
  t.equal(preview.length, 50);
  t.ok(preview.every((s) => !('words' in s)), 'no word arrays');
  t.equal(preview[0].id, 1, "faster-whisper's segment ids, from 1");
  t.ok(segments[0].words, 'the segments themselves are left alone');
  const full = { transcription: 'x', joined_text: 'x', segments, word_timestamps: segments.flatMap((s) => s.words), model_output: { segments }, srt: 'S'.repeat(100) };
  t.equal(fitOutput(full, segments, 10_000_000, ['srt']), full, 'under the limit: the full result');
  const cut = fitOutput(full, segments, 8000, ['srt']);
  t.equal(cut.truncated, true);
  t.equal(cut.segments.length, 50);
  t.equal(cut.segments_total, 120);
  t.notOk(cut.word_timestamps || cut.model_output, 'no word list or model_output in a preview');
  t.match(cut.truncated_reason, /MAX_RESULT_BYTES=8000/);
  t.equal(cut.srt, full.srt, 'inline formats kept while they fit');
  const tight = fitOutput({ ...full, srt: 'S'.repeat(20_000) }, segments, 8000, ['srt']);
  t.notOk(tight.srt, 'inline formats left out when they do not fit');
  t.match(tight.truncated_reason, /inline srt left out/);
  t.equal(DEFAULT_MAX_RESULT_BYTES, 10_000_000);
});

t.test('settings: TASK, MODEL_BATCH_SIZE, MAX_RESULT_BYTES, PRINT_MOUNTS, DEBUG, the older HF cache names, VAD_MODEL_PATH', async (t) => {
  const c = configFromEnv({ TASK: 'Translate', MODEL_BATCH_SIZE: '256', MAX_RESULT_BYTES: '2000000', PRINT_MOUNTS: '1', DEBUG: 'true' });
  t.equal(c.defaultTask, 'translate');
  t.equal(c.defaultBatchSize, 256);
  t.equal(c.maxResultBytes, 2_000_000);
  t.equal(c.printMounts, true);
  t.equal(c.debug, true);
  const d = configFromEnv({});
  t.equal(d.defaultTask, undefined);
  t.equal(d.defaultBatchSize, undefined);
  t.equal(d.maxResultBytes, DEFAULT_MAX_RESULT_BYTES);
  t.equal(d.debug, false);
  t.equal(d.modelConfigured, false, 'no variable names a model');
  t.equal(configFromEnv({ WHISPER_MODEL_NAME: 'base' }).modelConfigured, true);
  t.equal(configFromEnv({ DEBUG: '0' }).debug, false);
  t.equal(configFromEnv({ DEBUG: 'false' }).debug, false);
  for (const [name, value, re] of [
    ['TASK', 'dance', /TASK="dance": expected one of transcribe, translate/],
    ['MODEL_BATCH_SIZE', '2000', /MODEL_BATCH_SIZE="2000": expected a whole number of chunks from 1 to 1024/],
    ['MODEL_BATCH_SIZE', 'many', /MODEL_BATCH_SIZE/],
    ['MAX_RESULT_BYTES', '10MB', /MAX_RESULT_BYTES="10MB": expected a whole number of bytes/],
    ['PRINT_MOUNTS', 'maybe', /PRINT_MOUNTS="maybe"/],
  ]) {
    t.throws(() => configFromEnv({ [name]: value }), re, `${name}=${value}`);
  }
  // huggingface_hub's order: HF_HUB_CACHE, then HUGGINGFACE_HUB_CACHE; TRANSFORMERS_CACHE after them; else HF_HOME/hub.
  t.equal(settingsFromEnv({ HUGGINGFACE_HUB_CACHE: '/old/hub' }).hub.cacheDir, '/old/hub');
  t.equal(settingsFromEnv({ TRANSFORMERS_CACHE: '/tf' }).hub.cacheDir, '/tf');
  t.equal(settingsFromEnv({ TRANSFORMERS_CACHE: '/tf', HUGGINGFACE_HUB_CACHE: '/old/hub' }).hub.cacheDir, '/old/hub');
  t.equal(settingsFromEnv({ HF_HUB_CACHE: '/new', HUGGINGFACE_HUB_CACHE: '/old/hub', TRANSFORMERS_CACHE: '/tf' }).hub.cacheDir, '/new');
  t.equal(settingsFromEnv({ HF_HOME: '/home', TRANSFORMERS_CACHE: ' ' }).hub.cacheDir, '/home/hub', 'blank counts as unset');
  t.equal(configFromEnv({ TRANSFORMERS_CACHE: '/tf' }).hub.cacheDir, '/tf', 'the worker too');
  t.equal(settingsFromEnv({ VAD_MODEL_PATH: '/v/silero.onnx' }).vadModelPath, '/v/silero.onnx');
  t.equal(settingsFromEnv({ VAD_MODEL_PATH: '/v/silero.onnx', CT2_WHISPER_VAD_MODEL: '/c.onnx' }).vadModelPath, '/c.onnx', 'CT2_WHISPER_VAD_MODEL wins');
  t.equal(configFromEnv({ VAD_MODEL_PATH: '/v/silero.onnx' }).vadModelPath, '/v/silero.onnx');
  const m = mounts(['/']);
  t.ok(m.paths[0].exists && m.paths[0].free_gb >= 0, 'free space of a path');
  if (fs.existsSync('/proc/self/mounts')) t.ok(m.mounts.some((x) => x.mount === '/'), 'the root mount is listed');
  t.notOk(m.mounts.some((x) => x.type === 'proc'), 'pseudo file systems left out');
});

t.test('a WhisperX-style job runs whole: token kept secret, speaker counts noted, batch clamped on CPU, model_output', async (t) => {
  const token = 'hf_SECRETtoken1234567890abcdef';
  const r = await runJob(t, {
    id: 'whisperx',
    input: {
      audio_base_64: jfk64(), language: 'en', batch_size: 512, huggingface_access_token: token, min_speakers: 1, max_speakers: 2,
      vad_onset: 0.5, vad_offset: 0.363, align_output: true, debug: true,
    },
  }, { DEBUG: '1' });
  t.equal(r.status, 0, r.stderr.slice(-1000));
  const out = r.result.output;
  assertWords(t, out.transcription);
  t.equal(out.device, 'cpu');
  t.ok(out.notes.some((n) => n.includes(`batch_size 512`) && n.includes(`${CPU_MAX_BATCH_SIZE} used`)), `clamped on CPU with a note: ${JSON.stringify(out.notes)}`);
  t.ok(out.notes.some((n) => /min_speakers and max_speakers .* ignored/.test(n)), 'the speaker counts are noted');
  t.equal(out.debug.options.batchSize, CPU_MAX_BATCH_SIZE, 'the batch size used');
  t.ok(out.segments.every((s) => [0, 0.2, 0.4, 0.6, 0.8, 1].includes(s.temperature)), 'batched: each segment at a temperature of the fallback list');
  // The dembrane worker's model_output, with faster-whisper's segment ids (from 1).
  t.equal(out.segments[0].id, 1);
  assertWords(t, out.model_output.text);
  t.equal(out.model_output.segments[0].id, 1);
  t.equal(out.model_output.language, 'en');
  t.notOk(out.truncated, 'a small result comes whole');
  for (const [where, text] of [['stdout', r.stdout], ['stderr', r.stderr]]) t.notOk(text.includes(token), `the token is not in ${where}`);
  // The VAD was on: vad_onset alone asks for it.
  const vad = await runJob(t, { input: { audio_base_64: jfk64(), vad_onset: 0.5, debug: true } });
  t.equal(vad.status, 0, vad.stderr.slice(-500));
  t.equal(vad.result.output.debug.options.vadFilter, true, 'vad_onset turned the VAD on');
  t.equal(vad.result.output.debug.options.vadParameters.threshold, 0.5, 'with its threshold');
});

t.test("huggingface_access_token is used for the job's model download and appears nowhere", async (t) => {
  const token = 'hf_jobTOKEN_abcdefghijklmnop';
  const repo = 'Systran/faster-whisper-tiny.en';
  const hub = await startHubStandIn(t, repo, modelDir('tiny.en'));
  // A recording proxy in front of the stand-in: the Authorization header of each request.
  const seen = [];
  const proxy = http.createServer((req, res) => {
    seen.push(req.headers.authorization ?? '');
    const up = http.request(new URL(req.url, hub.base), { method: req.method, headers: { ...req.headers, host: new URL(hub.base).host } }, (u) => {
      res.writeHead(u.statusCode, u.headers);
      u.pipe(res);
    });
    req.pipe(up);
  });
  await new Promise((r) => proxy.listen(0, '127.0.0.1', r));
  t.teardown(() => proxy.close());
  const env = { CT2_WHISPER_CACHE: tmpDir(t), HF_HUB_CACHE: tmpDir(t), HF_ENDPOINT: `http://127.0.0.1:${proxy.address().port}`, WHISPER_MODEL_NAME: 'tiny.en', DEBUG: '1' };
  const r = await runJob(t, { input: { audio_base_64: jfk64(), huggingface_access_token: token } }, env);
  t.equal(r.status, 0, r.stderr.slice(-1000));
  assertWords(t, r.result.output.transcription, 'the downloaded model transcribes');
  t.ok(seen.length > 0 && seen.every((h) => h === `Bearer ${token}`), `every Hub request carried the job's token (${seen.length} requests)`);
  for (const [where, text] of [['stdout', r.stdout], ['stderr', r.stderr]]) t.notOk(text.includes(token), `the token is not in ${where}`);
  // A model the Hub does not have: the error names the model, never the token.
  const missing = await runJob(t, { input: { audio_base_64: jfk64(), model: 'someone/private-model', huggingface_access_token: token } }, { ...env, ALLOWED_HUB_MODELS: '*' });
  t.equal(missing.status, 1);
  t.match(missing.result.error, /someone\/private-model/);
  for (const [where, text] of [['stdout', missing.stdout], ['stderr', missing.stderr]]) t.notOk(text.includes(token), `failed job: the token is not in ${where}`);
});

t.test('storage contract: JSON uploaded by default, a preview and the full text inline; result_mode "full" as before', async (t) => {
  const s3 = await startS3(t);
  const client = new S3Client({ endpoint: s3, region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId: 'k', secretAccessKey: 's' } });
  await client.send(new CreateBucketCommand({ Bucket: 'out' }));
  client.destroy();
  const env = { STORAGE_ENDPOINT: s3, STORAGE_BUCKET: 'out', STORAGE_ACCESS_KEY: 'k', STORAGE_SECRET_KEY: 's', STORAGE_REGION: 'us-east-1' };
  const r = await runJob(t, { id: 'prd', input: { audio_base_64: jfk64(), word_timestamps: true } }, env);
  t.equal(r.status, 0, r.stderr.slice(-1000));
  const out = r.result.output;
  t.same(Object.keys(out.artifacts), ['json'], 'the JSON is uploaded though no output_formats were asked for');
  t.equal(out.artifacts.json.key, 'transcripts/prd/transcript.json');
  t.same(out.full_result, out.artifacts.json);
  const stored = await (await fetch(out.artifacts.json.url)).json();
  assertWords(t, stored.text, 'the presigned URL serves the full result');
  // JFK's 22 words, however many segments int8 on this CPU splits them into.
  t.ok(stored.segments.flatMap((s) => s.words).length >= 20, 'with its words');
  assertWords(t, out.transcription, 'the full text inline');
  t.equal(out.joined_text, out.transcription);
  t.equal(out.truncated, true);
  t.equal(out.segments_total, stored.segments.length);
  t.ok(out.segments.length > 0 && out.segments.length <= 50, 'a preview of the segments');
  t.ok(out.segments.every((s) => !('words' in s)), 'without word arrays');
  t.notOk(out.word_timestamps || out.model_output, 'no word list or model_output inline');
  const asked = await runJob(t, { id: 'prd2', input: { audio_base_64: jfk64(), output_formats: ['srt', 'text'] } }, env);
  t.same(Object.keys(asked.result.output.artifacts).sort(), ['json', 'srt', 'text'], 'the JSON and the formats asked for');
  t.notOk(asked.result.output.srt, 'uploaded, not inline');
  const before = await runJob(t, { id: 'old', input: { audio_base_64: jfk64(), word_timestamps: true, output_formats: ['srt'], result_mode: 'full' } }, env);
  const old = before.result.output;
  t.same(Object.keys(old.artifacts), ['srt'], 'result_mode "full": only the formats asked for are uploaded');
  t.notOk(old.truncated);
  t.ok(old.segments.flatMap((s) => s.words).length >= 20 && old.word_timestamps.length >= 20, 'the full result inline');
  t.ok(old.model_output, 'with model_output');
});

t.test('without storage: the full result, or a preview with truncated when it is over MAX_RESULT_BYTES', async (t) => {
  const input = { audio_base_64: jfk64(), word_timestamps: true, output_formats: ['srt'] };
  const whole = await runJob(t, { input });
  t.equal(whole.status, 0, whole.stderr.slice(-500));
  t.notOk(whole.result.output.truncated, 'under the limit: whole');
  t.ok(whole.result.output.word_timestamps.length >= 20);
  t.match(whole.result.output.srt, /^1\n/);
  const cut = await runJob(t, { input }, { MAX_RESULT_BYTES: '4096' });
  t.equal(cut.status, 0, cut.stderr.slice(-500));
  const out = cut.result.output;
  t.equal(out.truncated, true, 'a clear truncated flag');
  t.match(out.truncated_reason, /MAX_RESULT_BYTES=4096/);
  t.equal(out.segments_total, whole.result.output.segments.length);
  t.ok(out.segments.every((s) => !('words' in s)));
  t.notOk(out.word_timestamps || out.model_output);
  assertWords(t, out.transcription, 'the full text all the same');
  const full = await runJob(t, { input: { ...input, result_mode: 'full' } }, { MAX_RESULT_BYTES: '4096' });
  t.notOk(full.result.output.truncated, 'result_mode "full" returns the whole result whatever its size');
});

t.test('TASK, MODEL_BATCH_SIZE, DEFAULT_LANGUAGE_CODE and DEBUG shape a job that gives none; PRINT_MOUNTS logs the mounts', async (t) => {
  const env = { WHISPER_MODEL_NAME: 'base', TASK: 'translate', MODEL_BATCH_SIZE: '4', DEFAULT_LANGUAGE_CODE: 'nl', DEBUG: '1', PRINT_MOUNTS: '1' };
  const r = await runJob(t, { input: { audio_base_64: jfk64() } }, env);
  t.equal(r.status, 0, r.stderr.slice(-1000));
  const out = r.result.output;
  t.equal(out.detected_language, 'nl', 'DEFAULT_LANGUAGE_CODE instead of detection');
  t.ok(out.debug, 'DEBUG: the debug block without the job asking');
  t.equal(out.debug.options.task, 'translate', 'TASK');
  t.equal(out.debug.options.batchSize, 4, 'MODEL_BATCH_SIZE');
  t.match(r.stderr, /"level":20/, 'DEBUG: debug-level logs');
  const mountsLine = r.stderr.split('\n').find((l) => l.includes('"msg":"mounts:'));
  t.ok(mountsLine, 'PRINT_MOUNTS: a log line of the mounts');
  t.ok(JSON.parse(mountsLine).paths.some((p) => p.path === '/' && p.free_gb >= 0), 'with free space');
  const own = await runJob(t, { input: { audio_base_64: jfk64(), language: 'en', task: 'transcribe', vad_filter: false, debug: false } }, env);
  t.equal(own.status, 0, own.stderr.slice(-1000));
  t.equal(own.result.output.detected_language, 'en', "the job's language wins");
  t.notOk(own.result.output.debug, 'debug: false turns it off');
  assertWords(t, own.result.output.transcription);
  const detected = await runJob(t, { input: { audio_base_64: jfk64(), language: 'auto' } }, env);
  t.equal(detected.result.output.detected_language, 'en', '"auto": detected');
  const plain = await runJob(t, { input: { audio_base_64: jfk64(), debug: true } }, { WHISPER_MODEL_NAME: 'base' });
  t.equal(plain.result.output.detected_language, 'en', 'without DEFAULT_LANGUAGE_CODE: detected');
  t.not(plain.result.output.debug.options.task, 'translate', 'without TASK: not translated');
  t.notOk(plain.result.output.debug.options.batchSize, 'without MODEL_BATCH_SIZE: sequential');
});

t.test('no model configured and no network: the models in the cache and how to choose one', async (t) => {
  const cache = tmpDir(t);
  fs.mkdirSync(path.join(cache, 'models'));
  fs.symlinkSync(modelDir('tiny.en'), path.join(cache, 'models', 'tiny.en'));
  const env = { WHISPER_MODEL_NAME: undefined, CT2_WHISPER_CACHE: cache, HF_HUB_CACHE: tmpDir(t), HF_ENDPOINT: 'http://127.0.0.1:9' };
  const r = await runJob(t, { input: { audio_base_64: jfk64() } }, env);
  t.equal(r.status, 1);
  t.match(r.result.error, /no model is configured \(WHISPER_MODEL_NAME, WHISPERX_MODEL or WHISPERX_MODEL_DIR\) and the default "small" could not be had/);
  t.match(r.result.error, /models on this machine: tiny\.en; choose one with WHISPER_MODEL_NAME \(WHISPER_MODEL_NAME=tiny\.en\)/);
  const empty = await runJob(t, { input: { audio_base_64: jfk64() } }, { ...env, CT2_WHISPER_CACHE: tmpDir(t) });
  t.match(empty.result.error, /no model is on this machine .* set WHISPER_MODEL_NAME/);
});

t.test('the idle poll loop leaks no abort listeners and no memory', async (t) => {
  const rp = await startRunpodStandIn(t);
  const warnings = [];
  const onWarning = (w) => warnings.push(`${w.name}: ${w.message}`);
  process.on('warning', onWarning);
  t.teardown(() => process.off('warning', onWarning));
  const service = { handle: async () => ({ output: {} }) };
  const env = {
    workerId: 'leak', jobTakeUrl: rp.env.RUNPOD_WEBHOOK_GET_JOB.replace('$ID', 'leak'), outputUrl: rp.env.RUNPOD_WEBHOOK_POST_OUTPUT.replace('$RUNPOD_POD_ID', 'leak'),
    pingIntervalMs: 60_000, apiKey: 'k', idleDelayMs: 1, throttleDelayMs: 1, maxBackoffMs: 10, shutdownGraceMs: 10, progressIntervalMs: 1000,
  };
  const worker = new RunpodWorker(service, env, createLogger({ CONSOLE_LOG_LEVEL: 'silent' }));
  const stopSignal = worker.stopping.signal;
  const running = worker.run();
  const started = Date.now();
  let most = 0;
  // The heap after a full collection, and RSS, from after a warm-up to the end.
  v8.setFlagsFromString('--expose-gc');
  const gc = vm.runInNewContext('gc');
  const memory = () => {
    gc();
    return process.memoryUsage();
  };
  let mem0;
  // Long enough for thousands of polls: the old loop warned after 11.
  while (Date.now() - started < 8000) {
    await new Promise((r) => setTimeout(r, 50));
    most = Math.max(most, getEventListeners(stopSignal, 'abort').length);
    if (mem0 === undefined && Date.now() - started > 2000) mem0 = memory();
  }
  const mem1 = memory();
  worker.stop();
  await running;
  t.ok(most <= 4, `at most ${most} abort listeners on the stop signal at a time`);
  t.same(warnings.filter((w) => /MaxListeners|leak/i.test(w)), [], 'no MaxListenersExceededWarning');
  const mib = (n) => (n / 2 ** 20).toFixed(1);
  t.ok(mem1.heapUsed - mem0.heapUsed < 8 * 2 ** 20, `the heap grew ${mib(mem1.heapUsed - mem0.heapUsed)} MiB while idle`);
  t.ok(mem1.rss - mem0.rss < 128 * 2 ** 20, `RSS grew ${mib(mem1.rss - mem0.rss)} MiB while idle`);
  // sleep() itself: its listener goes when the time is up.
  const c = new AbortController();
  for (let i = 0; i < 50; i++) await sleep(0, c.signal);
  t.equal(getEventListeners(c.signal, 'abort').length, 0, 'sleep leaves no listener behind');
});

t.test('--rp_serve_api bounds request bodies by MAX_AUDIO_BYTES', async (t) => {
  t.equal(maxRequestBytes(3000), 4000 + 1024 * 1024);
  const port = 21000 + Math.floor(Math.random() * 20000);
  const child = spawn(process.execPath, [cli, 'worker', '--rp_serve_api', '--rp_api_port', String(port)], { env: { ...baseEnv, MAX_AUDIO_BYTES: '3000' }, stdio: 'ignore' });
  t.teardown(() => child.kill('SIGKILL'));
  const api = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 300; i++) {
    try { if ((await fetch(`${api}/health`)).ok) break; } catch {}
    await new Promise((r) => setTimeout(r, 100));
  }
  const big = JSON.stringify({ input: { audio_base_64: 'A'.repeat(2 * 1024 * 1024) } });
  const declared = await fetch(`${api}/runsync`, { method: 'POST', body: big });
  t.equal(declared.status, 413, 'a declared length over the bound');
  t.match((await declared.json()).error, /larger than 1052576 bytes \(MAX_AUDIO_BYTES=3000/);
  // A chunked body (no length): refused once it passes the bound.
  const chunk = Buffer.alloc(256 * 1024, 0x41);
  let sent = 0;
  const stream = new ReadableStream({
    pull(c) {
      if (sent++ < 40) c.enqueue(chunk);
      else c.close();
    },
  });
  let status;
  try {
    status = (await fetch(`${api}/run`, { method: 'POST', body: stream, duplex: 'half' })).status;
  } catch (e) {
    status = `connection closed (${e.cause?.code ?? e.message})`;
  }
  t.ok(status === 413 || /connection closed/.test(status), `a streamed body over the bound: ${status}`);
  t.ok(sent < 40 || status === 413, 'not read to its end');
  t.equal((await fetch(`${api}/health`)).status, 200, 'the worker is still up');
  const ok = await fetch(`${api}/runsync`, { method: 'POST', body: JSON.stringify({ input: { audio: 'ftp://x/y' } }) });
  t.equal((await ok.json()).status, 'FAILED', 'a small body is read as before');
  child.kill('SIGTERM');
});

t.test("the bundled test_input.json runs offline with the worker's model", async (t) => {
  const text = fs.readFileSync(path.join(root, 'test_input.json'), 'utf8');
  t.notMatch(text, /https?:\/\//, 'no URL to fetch');
  t.notOk(JSON.parse(text).input.model, "the worker's own model");
  const r = await runCli(['worker'], { cwd: root, env: { ...baseEnv, HF_HUB_OFFLINE: '1', HF_ENDPOINT: 'http://127.0.0.1:9' } });
  t.equal(r.status, 0, r.stderr.slice(-1000));
  t.ok(words(r.result.output.transcription).length > 20, `transcribed: ${r.result.output.transcription}`);
  t.match(r.result.output.srt, /^1\n00:00:0/);
});

t.test('batch what fits: a batch that runs out of memory is retried at half the size, with a note', async (t) => {
  const { TranscriptionService, isOutOfMemory } = await import('../lib/worker/handler.js');
  const { WhisperModel } = await import('../lib/index.js');
  t.ok(isOutOfMemory(new Error('CUDA failed with error out of memory')));
  t.ok(isOutOfMemory(new Error('cuBLAS failed with status CUBLAS_STATUS_ALLOC_FAILED')));
  t.notOk(isOutOfMemory(new Error('the audio could not be decoded')));
  // The engine as a GPU with room for 4 chunks at a time would answer.
  const transcribe = WhisperModel.prototype.transcribe;
  const batches = [];
  WhisperModel.prototype.transcribe = function (input, options) {
    batches.push(options.batchSize);
    if (options.batchSize > 4) return Promise.reject(Object.assign(new Error('CUDA failed with error out of memory'), { code: 'ERR_ENGINE' }));
    return transcribe.call(this, input, options);
  };
  t.teardown(() => { WhisperModel.prototype.transcribe = transcribe; });
  const config = configFromEnv({ ...baseEnv, JOBS_DIR: tmpDir(t) });
  const service = new TranscriptionService(config, createLogger({ CONSOLE_LOG_LEVEL: 'silent' }));
  t.teardown(() => service.close());
  const r = await service.handle({ id: 'oom', input: { audio_base_64: jfk64(), batch_size: 16 } });
  t.notOk(r.error, r.error);
  t.same(batches, [16, 8, 4], 'halved until it fits');
  assertWords(t, r.output.transcription);
  t.same(r.output.notes, ['batch_size 16 did not fit in the cpu memory: 8 used', 'batch_size 8 did not fit in the cpu memory: 4 used']);
  batches.length = 0;
  const other = await service.handle({ id: 'not-oom', input: { audio_base_64: jfk64(), batch_size: 2 } });
  t.notOk(other.error);
  t.same(batches, [2], 'a batch that fits runs once');
});
