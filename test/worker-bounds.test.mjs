// Resource bounds of the worker's local API (--rp_serve_api): a finished job's input is not kept
// (memory after GC), finished statuses are bounded (oldest dropped), and a job that finishes during
// the SIGTERM grace period is still reported to a client polling /status.
import t from 'tap';
import fs from 'node:fs';
import path from 'node:path';
import v8 from 'node:v8';
import vm from 'node:vm';
import { spawn } from 'node:child_process';
import { root, fixture, tmpDir, words, JFK_WORDS } from './helpers.mjs';
import { startAudioServer } from './servers.mjs';
import { configFromEnv } from '../lib/worker/config.js';
import { createLogger } from '../lib/worker/logger.js';
import { TranscriptionService } from '../lib/worker/handler.js';
import { serveApi } from '../lib/worker/local.js';

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc');
const cli = path.join(root, 'lib', 'cli.js');
const baseEnv = { ...process.env, WHISPER_MODEL_NAME: 'tiny.en', CPU_THREADS: '1', ALLOW_PRIVATE_AUDIO_URLS: '1' };
for (const k of Object.keys(baseEnv)) if (k.startsWith('RUNPOD_') || k.startsWith('STORAGE_') || k === 'JOB_TIMEOUT_S' || k === 'SHUTDOWN_GRACE_MS') delete baseEnv[k];
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** The local API in this process, on a real TranscriptionService (tiny.en). */
async function localApi(t, opts) {
  const config = configFromEnv({ ...baseEnv, JOBS_DIR: tmpDir(t) });
  const service = new TranscriptionService(config, createLogger({ CONSOLE_LOG_LEVEL: 'silent' }));
  const api = await serveApi(service, 0, '127.0.0.1', createLogger({ CONSOLE_LOG_LEVEL: 'silent' }), opts);
  t.teardown(async () => {
    await api.shutdown(0);
    await service.close();
  });
  const base = `http://127.0.0.1:${api.server.address().port}`;
  const post = async (route, body) => {
    const r = await fetch(`${base}${route}`, { method: 'POST', body: typeof body === 'string' ? body : JSON.stringify(body) });
    return { code: r.status, body: await r.json() };
  };
  return { base, post };
}

const heapAfterGc = async () => {
  for (let i = 0; i < 3; i++) {
    gc();
    await sleep(50);
  }
  return process.memoryUsage().heapUsed;
};

t.test('--rp_serve_api keeps no input of a finished job', async (t) => {
  const { post } = await localApi(t);
  // 30 jobs of 8 MB of base64 each (240 MB in all) that fail on another field.
  const audio = Buffer.alloc(6 * 1024 * 1024, 7).toString('base64');
  await post('/runsync', { input: { audio_base_64: 'AAAA', beam_size: 'five' } });
  const before = await heapAfterGc();
  for (let i = 0; i < 30; i++) {
    const r = await post('/runsync', { input: { audio_base_64: audio, beam_size: 'five' } });
    t.equal(r.body.status, 'FAILED');
    if (i === 0) t.match(r.body.error, /beam_size/);
  }
  const grown = (await heapAfterGc()) - before;
  t.ok(grown < 60 * 2 ** 20, `heap after GC grew by ${(grown / 2 ** 20).toFixed(1)} MB after 30 jobs of 8 MB (kept inputs would be 240 MB)`);
  t.comment(`heap growth after 30 failed 8 MB jobs: ${(grown / 2 ** 20).toFixed(1)} MB`);
});

t.test('--rp_serve_api keeps the newest finished statuses, the oldest dropped', async (t) => {
  const { base, post } = await localApi(t, { maxFinished: 5 });
  const ids = [];
  for (let i = 0; i < 8; i++) ids.push((await post('/runsync', { input: { audio_base_64: 'AAAA', beam_size: 'five' } })).body.id);
  const codes = [];
  for (const id of ids) codes.push((await fetch(`${base}/status/${id}`)).status);
  t.same(codes, [404, 404, 404, 200, 200, 200, 200, 200], 'the 5 newest statuses answer, the 3 oldest are gone');
  const health = await (await fetch(`${base}/health`)).json();
  t.same(health.jobs, { completed: 0, failed: 5, inProgress: 0, inQueue: 0, retried: 0 }, 'the kept statuses, as RunPod counts them');
});

t.test('--rp_serve_api: finished statuses are bounded by their size too', async (t) => {
  const { base, post } = await localApi(t, { maxFinishedBytes: 1 });
  const a = (await post('/runsync', { input: { audio_base_64: 'AAAA', beam_size: 'five' } })).body.id;
  const b = (await post('/runsync', { input: { audio_base_64: 'AAAA', beam_size: 'six' } })).body.id;
  t.equal((await fetch(`${base}/status/${a}`)).status, 404, 'the older result is dropped');
  const kept = await (await fetch(`${base}/status/${b}`)).json();
  t.equal(kept.status, 'FAILED', 'the newest result is always kept');
});

/** Starts `ct2-whisper worker --rp_serve_api` on a free port; resolves once /health answers. */
async function startApi(t, env) {
  const port = 21000 + Math.floor(Math.random() * 20000);
  const child = spawn(process.execPath, [cli, 'worker', '--rp_serve_api', '--rp_api_port', String(port)], { env: { ...baseEnv, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
  let logs = '';
  child.stderr.on('data', (b) => (logs += b));
  const exited = new Promise((resolve) => child.on('exit', (code) => resolve({ code, at: Date.now() })));
  t.teardown(() => child.kill('SIGKILL'));
  const api = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 600; i++) {
    try {
      if ((await fetch(`${api}/health`)).ok) break;
    } catch {}
    if (child.exitCode !== null) throw new Error(`the worker exited: ${logs}`);
    await sleep(100);
  }
  return { child, api, exited, logs: () => logs };
}

t.test('--rp_serve_api: a job that finishes during the grace period is reported to a client polling /status', async (t) => {
  const audio = await startAudioServer(t);
  const jobsDir = tmpDir(t);
  const w = await startApi(t, { JOBS_DIR: jobsDir, SHUTDOWN_GRACE_MS: '60000' });
  const r = await fetch(`${w.api}/run`, { method: 'POST', body: JSON.stringify({ input: { audio: `${audio}/audio/jfk.flac` } }) });
  const { id } = await r.json();
  // SIGTERM once the job is running (its audio fetched into JOBS_DIR).
  const size = fs.statSync(fixture('jfk.flac')).size;
  for (let i = 0; i < 600; i++) {
    const dirs = fs.readdirSync(jobsDir);
    if (dirs.some((d) => fs.readdirSync(path.join(jobsDir, d)).some((f) => fs.statSync(path.join(jobsDir, d, f)).size === size))) break;
    await sleep(50);
  }
  w.child.kill('SIGTERM');
  // A client polling every 1.5 s, as RunPod's clients do.
  const seen = [];
  let last;
  for (let i = 0; i < 60; i++) {
    await sleep(1500);
    try {
      last = await (await fetch(`${w.api}/status/${id}`)).json();
      seen.push(last.status);
    } catch (e) {
      seen.push(`error: ${e.cause?.code ?? e.message}`);
      break;
    }
    if (last.status === 'COMPLETED' || last.status === 'FAILED') break;
  }
  const reportedAt = Date.now();
  t.equal(last?.status, 'COMPLETED', `the finished job was reported (polls saw ${seen.join(', ')})`);
  t.equal(words(last?.output?.transcription ?? ''), JFK_WORDS);
  const { code, at } = await w.exited;
  t.equal(code, 0);
  t.ok(at - reportedAt < 10_000, 'the API closed once the result was reported, not after the whole 60 s grace period');
  t.same(fs.readdirSync(jobsDir), []);
});
