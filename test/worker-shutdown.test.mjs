// Shutdown and leftovers of the worker, as real processes: SIGTERM on `--rp_serve_api` with a job
// running and jobs queued (no new jobs, the running one gets SHUTDOWN_GRACE_MS then is cancelled,
// the queued ones fail clearly, exit 0, JOBS_DIR empty); SIGTERM/SIGINT on `--test_input` in the
// middle of a job; stale job directories swept at start; JOB_TIMEOUT_S.
import t from 'tap';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import crypto from 'node:crypto';
import { spawn, spawnSync } from 'node:child_process';
import { root, fixture, tmpDir, assertWords } from './helpers.mjs';
import { startAudioServer, startRunpodStandIn } from './servers.mjs';

const cli = path.join(root, 'lib', 'cli.js');
const baseEnv = { ...process.env, WHISPER_MODEL_NAME: 'tiny.en', CPU_THREADS: '1', ALLOW_PRIVATE_AUDIO_URLS: '1' };
for (const k of Object.keys(baseEnv)) if (k.startsWith('RUNPOD_') || k.startsWith('STORAGE_') || k === 'JOB_TIMEOUT_S' || k === 'SHUTDOWN_GRACE_MS') delete baseEnv[k];
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Polls `check` every 50 ms until it returns true (a throw counts as false), for up to `timeoutMs`: a loaded machine answers late. */
async function until(check, timeoutMs = 30_000) {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await Promise.resolve().then(check).catch(() => false)) return true;
    await sleep(50);
  }
  return false;
}

/** Starts `ct2-whisper worker ARGS`; `exited` resolves to { code, signal, at } (at: Date.now() of the exit). */
function startWorker(t, args, env) {
  const child = spawn(process.execPath, [cli, 'worker', ...args], { env: { ...baseEnv, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let logs = '';
  child.stdout.on('data', (b) => (out += b));
  child.stderr.on('data', (b) => (logs += b));
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal, at: Date.now() })));
  t.teardown(() => child.kill('SIGKILL'));
  return { child, exited, out: () => out, logs: () => logs };
}

async function startApi(t, env) {
  const port = 21000 + Math.floor(Math.random() * 20000);
  const w = startWorker(t, ['--rp_serve_api', '--rp_api_port', String(port)], env);
  const api = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 600; i++) {
    try {
      if ((await fetch(`${api}/health`)).ok) break;
    } catch {}
    if (w.child.exitCode !== null) throw new Error(`the worker exited: ${w.logs()}`);
    await sleep(100);
  }
  const post = async (route, body) => {
    const r = await fetch(`${api}${route}`, { method: 'POST', body: JSON.stringify(body) });
    return { code: r.status, body: await r.json() };
  };
  const status = async (id) => (await fetch(`${api}/status/${id}`)).json();
  const health = async () => (await fetch(`${api}/health`)).json();
  return { ...w, api, post, status, health };
}

/** Waits until JOBS_DIR holds a job directory whose audio file has `size` bytes (the fetch is over). */
async function audioFetched(jobsDir, size, timeoutMs = 60_000) {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    for (const d of fs.readdirSync(jobsDir)) {
      try {
        for (const f of fs.readdirSync(path.join(jobsDir, d))) if (fs.statSync(path.join(jobsDir, d, f)).size === size) return d;
      } catch {}
    }
    await sleep(50);
  }
  throw new Error('the job audio never arrived in JOBS_DIR');
}

const arthurSize = fs.statSync(fixture('Arthur.mp3')).size;

t.test('--rp_serve_api: SIGTERM with a long job running and jobs queued', async (t) => {
  const audio = await startAudioServer(t);
  const jobsDir = tmpDir(t);
  const grace = 1500;
  const w = await startApi(t, { JOBS_DIR: jobsDir, SHUTDOWN_GRACE_MS: String(grace) });
  // The long job (Arthur.mp3, 228 s, tiny.en on one thread: a minute or more) through /runsync.
  const long = w.post('/runsync', { input: { audio: `${audio}/audio/Arthur.mp3` } });
  await audioFetched(jobsDir, arthurSize);
  await sleep(1000); // into the transcription
  const queued = await w.post('/run', { input: { audio: `${audio}/audio/jfk.flac` } });
  t.equal(queued.body.status, 'IN_QUEUE');
  const queuedSync = w.post('/runsync', { input: { audio: `${audio}/audio/gettysburg.wav` } });
  await until(async () => (await w.health()).jobs.inQueue === 2);
  t.same((await w.health()).jobs, { completed: 0, failed: 0, inProgress: 1, inQueue: 2, retried: 0 }, "RunPod's /health counts");

  const sigterm = Date.now();
  w.child.kill('SIGTERM');
  // Once the worker has taken the signal (at once on an idle machine, later on a loaded one).
  t.ok(await until(async () => (await fetch(`${w.api}/health`)).status === 503), '/health says the worker is going');
  const refused = await w.post('/run', { input: { audio: `${audio}/audio/jfk.flac` } });
  t.equal(refused.code, 503, '/run is refused during shutdown');
  t.match(refused.body.error, /shutting down/);
  const refusedSync = await w.post('/runsync', { input: { audio: `${audio}/audio/jfk.flac` } });
  t.equal(refusedSync.code, 503, '/runsync is refused during shutdown');
  const q = await w.status(queued.body.id);
  t.equal(q.status, 'FAILED', 'the queued job failed');
  t.match(q.error, /worker is shutting down/, q.error);
  const qs = await queuedSync;
  t.equal(qs.body.status, 'FAILED');
  t.match(qs.body.error, /worker is shutting down/, 'the queued /runsync is answered');
  const l = await long;
  t.equal(l.body.status, 'FAILED');
  t.match(l.body.error, /job cancelled: the worker was shut down before it finished/, l.body.error);
  const { code, signal, at } = await w.exited;
  const took = at - sigterm;
  t.equal(code, 0, 'exit 0');
  t.equal(signal, null);
  t.ok(took >= grace, `the running job had its grace period (exit ${took} ms after SIGTERM)`);
  t.ok(took < grace + 12_000, `exit soon after the grace period (${took} ms after SIGTERM)`);
  t.same(fs.readdirSync(jobsDir), [], 'JOBS_DIR is empty');
  t.match(w.logs(), /grace period over/);
  t.comment(`SIGTERM to exit: ${took} ms (grace ${grace} ms)`);
});

t.test('--rp_serve_api: the running job finishes within the grace period', async (t) => {
  const audio = await startAudioServer(t);
  const jobsDir = tmpDir(t);
  const w = await startApi(t, { JOBS_DIR: jobsDir }); // SHUTDOWN_GRACE_MS: the default, 25 s
  const job = w.post('/runsync', { input: { audio: `${audio}/audio/jfk.flac` } });
  await audioFetched(jobsDir, fs.statSync(fixture('jfk.flac')).size);
  const sigterm = Date.now();
  w.child.kill('SIGTERM');
  const r = await job;
  t.equal(r.body.status, 'COMPLETED', 'the job in hand finished');
  assertWords(t, r.body.output.transcription);
  const { code, at } = await w.exited;
  t.equal(code, 0);
  t.ok(at - sigterm < 20_000, `exit once the job is done (${at - sigterm} ms after SIGTERM), not after the whole grace period`);
  t.same(fs.readdirSync(jobsDir), []);
  t.notMatch(w.logs(), /grace period over/);
  t.comment(`SIGTERM to exit with an 11 s job in hand: ${at - sigterm} ms`);
});

t.test('--rp_serve_api: JOB_TIMEOUT_S stops a long job; the worker serves the next one', async (t) => {
  const audio = await startAudioServer(t);
  const jobsDir = tmpDir(t);
  // Long enough for the next job (jfk.flac, about a second on one idle core) on a machine several
  // times slower and loaded; Arthur.mp3 takes a minute or more on one thread.
  const limitS = 10;
  const w = await startApi(t, { JOBS_DIR: jobsDir, JOB_TIMEOUT_S: String(limitS) });
  const started = Date.now();
  const long = await w.post('/runsync', { input: { audio: `${audio}/audio/Arthur.mp3` } });
  const took = Date.now() - started;
  t.equal(long.body.status, 'FAILED');
  t.match(long.body.error, new RegExp(`job timed out: it ran longer than JOB_TIMEOUT_S \\(${limitS} s\\)`), long.body.error);
  t.ok(took < (limitS + 15) * 1000, `answered ${took} ms after it was sent`);
  t.same(fs.readdirSync(jobsDir), [], 'its directory is removed');
  const next = await w.post('/runsync', { input: { audio: `${audio}/audio/jfk.flac` } });
  t.equal(next.body.status, 'COMPLETED', 'the next job runs');
  assertWords(t, next.body.output.transcription);
  const sigterm = Date.now();
  w.child.kill('SIGTERM');
  const { code, at } = await w.exited;
  t.equal(code, 0);
  t.ok(at - sigterm < 10_000, `idle: exits at once (${at - sigterm} ms), not after the 25 s grace period`);
  t.same(fs.readdirSync(jobsDir), []);
  t.comment(`JOB_TIMEOUT_S=${limitS}: the long job answered after ${took} ms`);
});

const runpodEnv = { RUNPOD_POD_ID: 'w1', RUNPOD_AI_API_KEY: 'test-key', RUNPOD_PING_INTERVAL: '300', RUNPOD_IDLE_DELAY_MS: '50', PROGRESS_INTERVAL_MS: '200' };

t.test('RunPod mode: SIGTERM with a batch of two jobs in hand', async (t) => {
  const audio = await startAudioServer(t);
  const rp = await startRunpodStandIn(t);
  const jobsDir = tmpDir(t);
  const w = startWorker(t, [], { ...runpodEnv, ...rp.env, JOBS_DIR: jobsDir, SHUTDOWN_GRACE_MS: '1000' });
  // One job-take answering with two jobs (RunPod's batch form).
  rp.add([{ id: 'long', input: { audio: `${audio}/audio/Arthur.mp3` } }, { id: 'second', input: { audio: `${audio}/audio/jfk.flac` } }]);
  while (!rp.state.progress.some((p) => p.id === 'long')) await sleep(50);
  const sigterm = Date.now();
  w.child.kill('SIGTERM');
  t.match((await rp.result('long', 60_000)).error, /job cancelled: the worker was shut down before it finished/);
  t.match((await rp.result('second', 60_000)).error, /worker is shutting down: the job was not started/, 'the rest of the batch fails clearly');
  const { code, at } = await w.exited;
  t.equal(code, 0);
  t.ok(at - sigterm >= 1000 && at - sigterm < 15_000, `exit ${at - sigterm} ms after SIGTERM (grace 1000 ms)`);
  t.same(fs.readdirSync(jobsDir), []);
  t.comment(`RunPod mode, SIGTERM to exit: ${at - sigterm} ms (grace 1000 ms)`);
});

t.test('RunPod mode: the job in hand finishes in the grace period; a second SIGTERM cancels at once', async (t) => {
  const audio = await startAudioServer(t);
  const rp = await startRunpodStandIn(t);
  const jobsDir = tmpDir(t);
  let w = startWorker(t, [], { ...runpodEnv, ...rp.env, JOBS_DIR: jobsDir, RUNPOD_POD_ID: 'w2' });
  rp.add({ id: 'short', input: { audio: `${audio}/audio/jfk.flac` } });
  await audioFetched(jobsDir, fs.statSync(fixture('jfk.flac')).size);
  w.child.kill('SIGTERM');
  const short = await rp.result('short', 60_000);
  assertWords(t, short.output?.transcription ?? '', 'finished and reported, its model still loaded');
  t.equal((await w.exited).code, 0);

  w = startWorker(t, [], { ...runpodEnv, ...rp.env, JOBS_DIR: jobsDir, RUNPOD_POD_ID: 'w3', SHUTDOWN_GRACE_MS: '120000' });
  rp.add({ id: 'long2', input: { audio: `${audio}/audio/Arthur.mp3` } });
  while (!rp.state.progress.some((p) => p.id === 'long2')) await sleep(50);
  const first = Date.now();
  w.child.kill('SIGTERM');
  await sleep(500);
  w.child.kill('SIGTERM');
  t.match((await rp.result('long2', 60_000)).error, /job cancelled: the worker was shut down/);
  const { code, at } = await w.exited;
  t.equal(code, 0);
  t.ok(at - first < 10_000, `exit ${at - first} ms after the first SIGTERM, not after the 120 s grace`);
  t.same(fs.readdirSync(jobsDir), []);
});

for (const sig of ['SIGTERM', 'SIGINT']) {
  t.test(`--test_input: ${sig} in the middle of a job`, async (t) => {
    const audio = await startAudioServer(t);
    const jobsDir = tmpDir(t);
    const w = startWorker(t, ['--test_input', JSON.stringify({ input: { audio: `${audio}/audio/Arthur.mp3` } })], { JOBS_DIR: jobsDir });
    await audioFetched(jobsDir, arthurSize);
    await sleep(1500);
    const sent = Date.now();
    w.child.kill(sig);
    const { code, signal, at } = await w.exited;
    t.equal(signal, null, 'not killed by the signal: it handled it');
    t.equal(code, 128 + os.constants.signals[sig], `exit code 128 + ${sig}`);
    t.ok(at - sent < 10_000, `exits ${at - sent} ms after ${sig}`);
    const result = JSON.parse(w.out().trim().split('\n').pop());
    t.match(result.error, new RegExp(`job cancelled: the worker received ${sig}`));
    t.same(fs.readdirSync(jobsDir), [], 'JOBS_DIR is empty');
    t.comment(`${sig} to exit: ${at - sent} ms`);
  });
}

t.test('stale job directories are swept at start, and only those', async (t) => {
  const jobsDir = tmpDir(t);
  const host = crypto.createHash('sha256').update(os.hostname()).digest('hex').slice(0, 8);
  const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout;
  const old = (Date.now() - 2 * 60_000) / 1000;
  const older = (Date.now() - 2 * 3600_000) / 1000;
  const make = (name, mtime, file = true) => {
    const p = path.join(jobsDir, name);
    if (file === 'plain') fs.writeFileSync(p, 'x');
    else {
      fs.mkdirSync(p);
      if (file) fs.writeFileSync(path.join(p, 'audio'), 'left behind');
    }
    if (mtime) fs.utimesSync(p, mtime, mtime);
  };
  make(`ct2w-job-h${host}p${dead}-crashed-aaaaaa`); // its worker is gone: swept, however young
  make(`ct2w-job-h${host}p${process.pid}-running-bbbbbb`); // a live worker's job: kept
  make(`ct2w-job-h${host}p${process.pid}-ancient-cccccc`, older); // live owner but older than JOB_TIMEOUT_S allows: swept
  make('ct2w-job-local-1234-dddddd', old); // the older naming, over a minute old: swept
  make('ct2w-job-local-5678-eeeeee'); // the older naming, fresh: kept
  make(`ct2w-job-h00000000p${dead}-otherhost-ffffff`, old); // another host's (its pid means nothing here), 2 min old: kept
  make(`ct2w-job-h00000000p${dead}-otherhost-gggggg`, older); // another host's, older than JOB_TIMEOUT_S allows: swept
  make('someone-elses-dir', older); // not ours: kept
  make('ct2w-job-a-file', older, 'plain'); // not a directory: kept
  const w = startWorker(t, ['--test_input', JSON.stringify({ input: { language: 'en' } })], { JOBS_DIR: jobsDir, JOB_TIMEOUT_S: '600' });
  const { code } = await w.exited;
  t.equal(code, 1, 'the (bad) job ran after the sweep');
  t.match(JSON.parse(w.out().trim()).error, /audio/);
  t.same(fs.readdirSync(jobsDir).sort(), [
    `ct2w-job-h${host}p${process.pid}-running-bbbbbb`,
    `ct2w-job-h00000000p${dead}-otherhost-ffffff`,
    'ct2w-job-a-file',
    'ct2w-job-local-5678-eeeeee',
    'someone-elses-dir',
  ].sort());
  t.match(w.logs(), /removed 4 stale job directories/);
});

t.test('a bad SHUTDOWN_GRACE_MS is refused at start', async (t) => {
  const w = startWorker(t, ['--test_input', '{"input":{}}'], { SHUTDOWN_GRACE_MS: 'soon' });
  const { code } = await w.exited;
  t.equal(code, 1);
  t.match(w.logs(), /SHUTDOWN_GRACE_MS must be a number of milliseconds/);
});
