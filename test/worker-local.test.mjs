// The worker's local modes, S3 artifacts against a real S3-compatible server (moto), and model
// download from a stand-in for the Hugging Face Hub, all on loopback.
import t from 'tap';
import fs from 'node:fs';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { S3Client, CreateBucketCommand } from '@aws-sdk/client-s3';
import { root, fixture, tmpDir, modelDir, assertWords, words, runCli } from './helpers.mjs';
import { startAudioServer, startS3, startHubStandIn } from './servers.mjs';
import { resolveModel, WhisperModel } from '../lib/index.js';

const cli = path.join(root, 'lib', 'cli.js');
const baseEnv = { ...process.env, WHISPER_MODEL_NAME: 'tiny.en', CPU_THREADS: '2', ALLOW_PRIVATE_AUDIO_URLS: '1' };
for (const k of Object.keys(baseEnv)) if (k.startsWith('RUNPOD_') || k.startsWith('STORAGE_')) delete baseEnv[k];

/** Runs `ct2-whisper worker ARGS` to its end (asynchronously: the test's servers must keep serving). */
function runLocal(args, env = {}, cwd = root) {
  return runCli(['worker', ...args], { cwd, env: { ...baseEnv, ...env }, timeoutMs: 300_000 });
}

/** Runs a job given as ./test_input.json (inputs too large for a command line). */
function runJobFile(t, job, env = {}) {
  const dir = tmpDir(t);
  fs.writeFileSync(path.join(dir, 'test_input.json'), JSON.stringify(job));
  return runLocal([], env, dir);
}

t.test('--test_input and test_input.json', async (t) => {
  const audio = await startAudioServer(t);
  const ok = await runLocal(['--test_input', JSON.stringify({ input: { audio: `${audio}/audio/jfk.flac` } })]);
  t.equal(ok.status, 0);
  assertWords(t, ok.result.output.transcription);
  const bad = await runLocal(['--test_input', JSON.stringify({ input: { audio: `${audio}/audio/jfk.flac`, beam_size: 'five' } })]);
  t.equal(bad.status, 1, 'a failed job exits non-zero');
  t.match(bad.result.error, /beam_size: must be an integer of at least 1 and at most 10, got "/);
  const notJson = await runLocal(['--test_input', '{not json']);
  t.equal(notJson.status, 1);
  t.match(notJson.result.error, /not JSON/);
  const file = await runJobFile(t, { input: { audio_base_64: fs.readFileSync(fixture('gettysburg.wav')).toString('base64') } });
  t.equal(file.status, 0);
  t.match(words(file.result.output.transcription), /four score and seven years ago/);
  const none = await runLocal([], {}, tmpDir(t));
  t.equal(none.status, 1);
  t.match(none.result.error, /no \.\/test_input\.json/);
  // The repository's own test_input.json (the default job of the image) is a valid job.
  const repoJob = JSON.parse(fs.readFileSync(path.join(root, 'test_input.json'), 'utf8'));
  t.ok(repoJob.input, 'test_input.json has an input');
});

t.test('--rp_serve_api', async (t) => {
  const audio = await startAudioServer(t);
  const port = 21000 + Math.floor(Math.random() * 20000);
  const child = spawn(process.execPath, [cli, 'worker', '--rp_serve_api', '--rp_api_port', String(port)], { env: baseEnv, stdio: 'ignore' });
  t.teardown(() => child.kill('SIGKILL'));
  const api = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 300; i++) {
    try { if ((await fetch(`${api}/health`)).ok) break; } catch {}
    await new Promise((r) => setTimeout(r, 100));
  }
  const health = await (await fetch(`${api}/health`)).json();
  t.equal(health.status, 'ok');
  const post = (route, body) => fetch(`${api}${route}`, { method: 'POST', body: JSON.stringify(body) }).then((r) => r.json());
  const sync = await post('/runsync', { input: { audio: `${audio}/audio/jfk.flac` } });
  t.equal(sync.status, 'COMPLETED');
  assertWords(t, sync.output.transcription);
  const queued = await post('/run', { input: { audio: `${audio}/audio/gettysburg.wav` } });
  t.ok(['IN_QUEUE', 'IN_PROGRESS'].includes(queued.status));
  let status;
  for (let i = 0; i < 600; i++) {
    status = await (await fetch(`${api}/status/${queued.id}`)).json();
    if (status.status === 'COMPLETED' || status.status === 'FAILED') break;
    await new Promise((r) => setTimeout(r, 100));
  }
  t.equal(status.status, 'COMPLETED');
  const failed = await post('/runsync', { input: { audio: 'ftp://x/y' } });
  t.equal(failed.status, 'FAILED');
  t.match(failed.error, /audio: must be an http\(s\) URL/);
  t.equal((await fetch(`${api}/status/nope`)).status, 404);
  t.equal((await fetch(`${api}/run`, { method: 'POST', body: 'nope' })).status, 400);
  child.kill('SIGTERM');
});

t.test('artifacts to S3 (moto on loopback)', async (t) => {
  const s3 = await startS3(t);
  const client = new S3Client({ endpoint: s3, region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId: 'k', secretAccessKey: 's' } });
  await client.send(new CreateBucketCommand({ Bucket: 'transcripts' }));
  client.destroy();
  const env = { STORAGE_ENDPOINT: s3, STORAGE_BUCKET: 'transcripts', STORAGE_ACCESS_KEY: 'k', STORAGE_SECRET_KEY: 's', STORAGE_REGION: 'us-east-1', PREFIX_TRANSCRIPTS: 'out', PRESIGN_TTL: '600' };
  const job = { id: 'job-s3', input: { audio_base_64: fs.readFileSync(fixture('jfk.flac')).toString('base64'), output_formats: ['json', 'srt', 'vtt', 'text'] } };
  const r = await runJobFile(t, job, env);
  t.equal(r.status, 0, r.stderr.slice(-500));
  const a = r.result.output.artifacts;
  t.same(Object.keys(a).sort(), ['json', 'srt', 'text', 'vtt']);
  t.equal(a.srt.key, 'out/job-s3/transcript.srt');
  const srt = await (await fetch(a.srt.url)).text();
  t.match(srt, /^1\n00:00:0\d,\d{3} --> /, 'the presigned URL serves the SRT');
  const json = await (await fetch(a.json.url)).json();
  assertWords(t, json.text, 'the JSON artifact');
  t.match(a.vtt.url, /X-Amz-Expires=600/, 'presigned for PRESIGN_TTL');
  t.notOk(r.result.output.srt, 'no inline copy when uploaded');

  const broken = await runJobFile(t, job, { ...env, STORAGE_BUCKET: 'no-such-bucket' });
  t.equal(broken.status, 0, 'the job still succeeds');
  t.match(broken.result.output.upload_error, /upload to no-such-bucket failed/);
  t.match(broken.result.output.srt, /^1\n/, 'the transcript comes inline');
  assertWords(t, broken.result.output.transcription);
});

t.test('model download in the Hub cache layout (stand-in Hub on loopback)', async (t) => {
  const repo = 'Systran/faster-whisper-tiny.en';
  const hub = await startHubStandIn(t, repo, modelDir('tiny.en'));
  const cacheDir = tmpDir(t);
  // The library takes its locations as options (the CLI and the worker map HF_ENDPOINT,
  // HF_HUB_CACHE, HF_HUB_OFFLINE and CT2_WHISPER_CACHE to them).
  const hubOptions = { endpoint: hub.base, cacheDir };
  const locations = { hub: hubOptions, cacheDir: tmpDir(t) }; // so "tiny.en" is not found in the local model cache
  const r = await resolveModel('tiny.en', locations);
  t.equal(r.source, 'hub');
  t.equal(r.dir, path.join(cacheDir, 'models--Systran--faster-whisper-tiny.en', 'snapshots', hub.sha));
  t.ok(fs.lstatSync(path.join(r.dir, 'model.bin')).isSymbolicLink(), 'snapshot files link to blobs');
  t.ok(fs.readdirSync(path.join(cacheDir, 'models--Systran--faster-whisper-tiny.en', 'blobs')).length >= 4, 'blobs');
  t.equal(fs.readFileSync(path.join(cacheDir, 'models--Systran--faster-whisper-tiny.en', 'refs', 'main'), 'utf8'), hub.sha);
  const model = await WhisperModel.load(r.dir, { device: 'cpu', cpuThreads: 2 });
  const result = await model.transcribe(fixture('jfk.flac'));
  model.dispose();
  assertWords(t, result.segments.map((s) => s.text).join(' '), 'the downloaded model transcribes');

  const offlineLocations = { ...locations, hub: { ...hubOptions, offline: true } };
  const before = hub.requests.length;
  const offline = await resolveModel(repo, offlineLocations);
  t.equal(offline.dir, r.dir, 'offline: found in the cache');
  t.equal(hub.requests.length, before, 'offline: no request');
  await t.rejects(resolveModel('Systran/faster-whisper-base', offlineLocations), /not in the Hugging Face cache .* HF_HUB_OFFLINE/);
  await t.rejects(resolveModel('someone/missing-model', locations), /was not found on/);
  await t.rejects(resolveModel('not a model!', locations), /unknown model/);
});
