// RunPod's own Python client (the `runpod` package, pinned, from PyPI; scripts/prepare-test.mjs
// installs it) against `ct2-whisper worker --rp_serve_api` on loopback: RUNPOD_ENDPOINT_BASE_URL
// points the SDK at the worker, whose API takes RunPod's URL layout with any endpoint id.
// test/data/runpod-sdk-client.py makes the calls (run_sync; run, status, output; stream; cancel
// of a running and of a queued job; purge_queue; health; the asyncio runner) and reports what
// each returned; this file checks it, and the raw routes the SDK does not use.
import t from 'tap';
import fs from 'node:fs';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { root, fixture, cache, tmpDir, assertWords, words } from './helpers.mjs';

const cli = path.join(root, 'lib', 'cli.js');
const python = path.join(cache, 'test-venv', 'bin', 'python');
const baseEnv = { ...process.env, WHISPER_MODEL_NAME: 'tiny.en', CPU_THREADS: '2' };
for (const k of Object.keys(baseEnv)) if (k.startsWith('RUNPOD_') || k.startsWith('STORAGE_') || k === 'DEBUG') delete baseEnv[k];
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Starts the worker's local API on a free port; resolves once /health answers. */
async function startApi(t, env) {
  const port = 21000 + Math.floor(Math.random() * 20000);
  const child = spawn(process.execPath, [cli, 'worker', '--rp_serve_api', '--rp_api_port', String(port)], { env: { ...baseEnv, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
  let logs = '';
  child.stderr.on('data', (b) => (logs += b));
  t.teardown(() => child.kill('SIGKILL'));
  const api = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 600; i++) {
    try {
      if ((await fetch(`${api}/health`)).ok) return { api, child, logs: () => logs };
    } catch {}
    if (child.exitCode !== null) break;
    await sleep(100);
  }
  throw new Error(`the worker's API did not start: ${logs}`);
}

/** Runs the SDK client script; resolves to its report. */
function runClient(api, endpointId, audio) {
  return new Promise((resolve, reject) => {
    const env = { ...process.env, RUNPOD_ENDPOINT_BASE_URL: api, HOME: process.env.HOME };
    const child = spawn(python, [path.join(root, 'test', 'data', 'runpod-sdk-client.py'), endpointId, ...audio], { env });
    let out = '';
    let err = '';
    child.stdout.on('data', (b) => (out += b));
    child.stderr.on('data', (b) => (err += b));
    const timer = setTimeout(() => child.kill('SIGKILL'), 900_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      if (code !== 0) return reject(new Error(`the SDK client exited ${code}: ${err.slice(-3000)}`));
      resolve(JSON.parse(out));
    });
  });
}

t.test('the runpod SDK drives a local worker: run_sync, run/status/output, stream, cancel, purge_queue, health, asyncio', async (t) => {
  t.ok(fs.existsSync(python), 'the test venv (node scripts/prepare-test.mjs)');
  const jobsDir = tmpDir(t);
  const { api } = await startApi(t, { JOBS_DIR: jobsDir });
  const endpointId = `any-endpoint-${Date.now().toString(36)}`;
  const r = await runClient(api, endpointId, [fixture('jfk.flac'), fixture('NM014.mp3'), fixture('Arthur.mp3')]);
  t.equal(r.version, '1.12.0', 'the pinned runpod package');
  t.equal(r.base, api, 'RUNPOD_ENDPOINT_BASE_URL is the worker');
  t.same(r.health_idle.workers, { idle: 1, running: 0 }, 'health: an idle worker');
  t.same(r.health_idle.jobs, { completed: 0, failed: 0, inProgress: 0, inQueue: 0, retried: 0 }, 'health: no jobs yet');

  assertWords(t, r.run_sync.transcription, 'run_sync returns the output');
  t.ok(Array.isArray(r.run_sync.word_timestamps) && r.run_sync.word_timestamps.length >= 20, 'with its word timestamps');

  t.ok(['IN_QUEUE', 'IN_PROGRESS', 'COMPLETED'].includes(r.run.first_status), `run, then status: ${r.run.first_status}`);
  t.match(r.run.id, /^local-/, 'a job id');
  assertWords(t, r.run.output.transcription, 'output() waits for the result');
  t.equal(r.run.status, 'COMPLETED');

  const chunks = r.stream.chunks;
  t.ok(chunks.length >= 5, `stream yields the segments of a 2.5 min recording (${chunks.length})`);
  t.same(chunks.map((c) => c.segment.text), r.stream.output.segments.map((s) => s.text), 'every segment streamed once, in order, as the output has them');
  t.same(chunks.map((c) => c.segment.id), r.stream.output.segments.map((s) => s.id));
  t.equal(words(chunks.map((c) => c.segment.text).join(' ')), words(r.stream.output.transcription), 'their text is the transcription');

  const c = r.cancel;
  t.equal(c.running_seen.at(-1), 'IN_PROGRESS', `the long job ran (${c.running_seen.join(' → ')})`);
  t.equal(c.queued_before, 'IN_QUEUE', 'the other waited behind it');
  t.same(c.health_busy.workers, { idle: 0, running: 1 }, 'health: the worker is running');
  t.ok(c.health_busy.jobs.inQueue >= 1 && c.health_busy.jobs.inProgress === 1, 'health: one in progress, one queued');
  t.same(c.queued, { id: c.queued.id, status: 'CANCELLED' }, 'cancel() of a queued job: RunPod\'s answer');
  t.same(c.running, { id: c.running.id, status: 'CANCELLED' }, 'cancel() of the running job');
  t.same(c.statuses, ['CANCELLED', 'CANCELLED'], 'both stay cancelled');
  t.same(c.outputs, [null, null], 'no output for a cancelled job');
  assertWords(t, c.next.transcription, 'the worker takes the next job');
  t.ok(c.next_s < 120, `the cancelled job stopped: the next one took ${c.next_s.toFixed(1)} s`);

  t.same(r.purge.result, { removed: 2, status: 'completed' }, 'purge_queue: RunPod\'s answer');
  t.same(r.purge.statuses, ['CANCELLED', 'CANCELLED'], 'the purged jobs are cancelled');
  t.equal(r.purge.busy.status, 'CANCELLED', 'the running job is not purged; cancelled after');

  t.ok(['IN_QUEUE', 'IN_PROGRESS', 'COMPLETED'].includes(r.asyncio.first_status), 'the asyncio runner: run, status');
  assertWords(t, r.asyncio.output.transcription, 'the asyncio runner: output');
  t.equal(r.asyncio.status, 'COMPLETED');
  t.same(r.health_end.jobs, { completed: 5, failed: 0, inProgress: 0, inQueue: 0, retried: 0 }, 'health at the end: five completed');

  for (let i = 0; i < 100 && fs.readdirSync(jobsDir).length; i++) await sleep(100);
  t.same(fs.readdirSync(jobsDir), [], 'nothing left in JOBS_DIR after the cancelled jobs');
});

t.test('the raw routes: any endpoint id or none, methods, unknown jobs, /runsync?wait', async (t) => {
  const { api } = await startApi(t, {});
  const jfk = fs.readFileSync(fixture('jfk.flac')).toString('base64');
  const call = async (method, route, body) => {
    const r = await fetch(`${api}${route}`, { method, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
    return { code: r.status, body: await r.json(), allow: r.headers.get('allow') };
  };
  for (const prefix of ['', '/abc123', '/my.endpoint-2']) {
    const sync = await call('POST', `${prefix}/runsync`, { input: { audio_base64: jfk } });
    t.equal(sync.code, 200, `${prefix}/runsync`);
    t.equal(sync.body.status, 'COMPLETED');
    t.ok(Number.isInteger(sync.body.delayTime) && Number.isInteger(sync.body.executionTime), 'delayTime and executionTime, as RunPod reports them');
    assertWords(t, sync.body.output.transcription);
    const byPost = await call('POST', `${prefix}/status/${sync.body.id}`);
    t.same(byPost.body, sync.body, `POST ${prefix}/status/{id} as GET`);
    t.equal((await call('GET', `${prefix}/health`)).code, 200);
  }
  t.equal((await call('GET', '/ep/status/local-nope')).code, 404, 'an unknown job: 404');
  t.equal((await call('POST', '/ep/cancel/local-nope')).code, 404);
  t.equal((await call('GET', '/ep/stream/local-nope')).code, 404);
  const wrong = await call('GET', '/ep/run');
  t.equal(wrong.code, 405, 'GET /run: 405');
  t.equal(wrong.allow, 'POST');
  t.equal((await call('GET', '/ep/cancel/x')).code, 405);
  t.equal((await call('GET', '/a/b/run')).code, 404, 'one endpoint id at most');
  t.equal((await call('POST', '/ep/runsync?wait=5', { input: {} })).code, 400, 'wait below RunPod\'s 1000 ms');

  // ?wait: past it, /runsync answers the job's id and status; the job goes on.
  const arthur = fs.readFileSync(fixture('Arthur.mp3')).toString('base64');
  const started = Date.now();
  const early = await call('POST', '/ep/runsync?wait=1000', { input: { audio_base64: arthur } });
  t.ok(Date.now() - started < 30_000, 'answered after the wait, not the job');
  t.equal(early.code, 200);
  t.ok(['IN_QUEUE', 'IN_PROGRESS'].includes(early.body.status), `not done yet: ${early.body.status}`);
  t.notOk('output' in early.body);
  const cancelled = await call('POST', `/ep/cancel/${early.body.id}`);
  t.same(cancelled.body, { id: early.body.id, status: 'CANCELLED' });
  const again = await call('POST', `/ep/cancel/${early.body.id}`);
  t.same(again.body, { id: early.body.id, status: 'CANCELLED' }, 'cancelling twice: the same answer');
  const stream = await call('GET', `/ep/stream/${early.body.id}`);
  t.equal(stream.body.status, 'CANCELLED');
  t.ok(Array.isArray(stream.body.stream), 'stream: a list of chunks');
});
