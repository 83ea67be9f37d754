// The hostile audio of test/hostile/generate-audio.mjs through the two other doors: the RunPod
// worker (one process, jobs as base64 through the stand-in for RunPod's job API, and the local
// --test_input mode) and the CLI. Each case ends in its expected error (or succeeds) within a time
// bound; the worker never dies, keeps serving the next job, stays under a memory bound, and
// leaves JOBS_DIR empty.
import t from 'tap';
import fs from 'node:fs';
import path from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import { generateHostileAudio } from './hostile/generate-audio.mjs';
import { root, fixture, modelDir, tmpDir, assertWords, words } from './helpers.mjs';
import { startRunpodStandIn } from './servers.mjs';

const cli = path.join(root, 'lib', 'cli.js');
// Per job, with room for a machine twice as slow as one loaded core (the 10-hour FLACs take 15 s there).
const JOB_SECONDS = 60;
const MAX_RSS_MB = 2048;

const dir = tmpDir(t);
const all = await generateHostileAudio(dir);
// Uploads: regular files only, no per-case library options, nothing an hour long (a 57 MB
// base64 job tests the transport, not the decoder), and not the empty file (an empty base64
// field is refused by the job schema, as test/worker.test.mjs checks).
const uploads = all.filter((c) => c.kind === 'file' && !c.options && !c.long && c.name !== 'empty.wav');

function expectOutcome(t, c, error, output) {
  if (c.expect === 'ok') t.notOk(error, `${c.name}: succeeds (${error ?? ''})`);
  // The worker and the CLI put their own words before the library's message: match anywhere.
  else if (c.expect instanceof RegExp) t.match(error ?? '', new RegExp(c.expect.source.replace(/^\^/, ''), c.expect.flags), `${c.name}: ${error}`);
  else t.ok(error !== undefined || output !== undefined, `${c.name}: an error or a transcript (${error ?? 'ok'})`);
}

const peakRssMb = (pid) => Number(/VmHWM:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))[1]) / 1024;

t.test('RunPod worker: every upload answered, the worker stays up and bounded', async (t) => {
  const rp = await startRunpodStandIn(t);
  const jobsDir = tmpDir(t);
  const child = spawn(process.execPath, [cli, 'worker'], {
    env: { ...process.env, ...rp.env, RUNPOD_POD_ID: 'w1', RUNPOD_AI_API_KEY: 'k', RUNPOD_PING_INTERVAL: '300', RUNPOD_IDLE_DELAY_MS: '50', CPU_THREADS: '2', WHISPER_MODEL_NAME: 'tiny.en', JOBS_DIR: jobsDir, JOB_TIMEOUT_S: String(JOB_SECONDS * 2) },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let logs = '';
  child.stderr.on('data', (b) => (logs += b));
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  t.teardown(() => child.kill('SIGKILL'));

  for (const c of uploads) {
    const id = `hostile-${c.name}`;
    const started = Date.now();
    rp.add({ id, input: { audio_base_64: fs.readFileSync(c.file).toString('base64') } });
    const r = await Promise.race([rp.result(id, JOB_SECONDS * 1000), exited.then((e) => ({ died: e }))]);
    if (r.died) {
      t.fail(`${c.name}: the worker died (${JSON.stringify(r.died)}): ${logs.slice(-2000)}`);
      return;
    }
    expectOutcome(t, c, r.error, r.output);
    t.ok(Date.now() - started < JOB_SECONDS * 1000, `${c.name}: answered in ${Date.now() - started} ms`);
  }
  rp.add({ id: 'after', input: { audio_base_64: fs.readFileSync(fixture('jfk.flac')).toString('base64') } });
  const after = await rp.result('after');
  assertWords(t, after.output.transcription, 'the next good job after all of them is served');
  t.equal(child.exitCode, null, 'the worker is still running');
  const peak = peakRssMb(child.pid);
  t.ok(peak < MAX_RSS_MB, `peak RSS ${peak.toFixed(0)} MB < ${MAX_RSS_MB} MB over ${uploads.length} hostile jobs`);
  t.same(fs.readdirSync(jobsDir), [], 'JOBS_DIR is empty');
  child.kill('SIGTERM');
  t.same(await exited, { code: 0, signal: null }, 'and it still shuts down cleanly');
});

t.test('worker --test_input: each upload a clear job result, no signal, JOBS_DIR empty', async (t) => {
  const jobsDir = tmpDir(t);
  // A sample of the uploads: one of each kind of refusal, and a success.
  const picked = ['wav-rate-0.wav', 'wav-rate-max.wav', 'flac-10h-silence.flac', 'm4a-timescale-0.m4a', 'ogg-rate-max.ogg', 'random.bin', 'wav-rate-1000.wav']
    .map((n) => uploads.find((c) => c.name === n)).filter(Boolean);
  t.equal(picked.length, 7, `${picked.length} cases picked`);
  for (const c of picked) {
    const work = tmpDir(t);
    fs.writeFileSync(path.join(work, 'test_input.json'), JSON.stringify({ input: { audio_base_64: fs.readFileSync(c.file).toString('base64') } }));
    const started = Date.now();
    const r = spawnSync(process.execPath, [cli, 'worker'], {
      cwd: work, encoding: 'utf8', timeout: JOB_SECONDS * 1000,
      env: { ...process.env, CPU_THREADS: '2', WHISPER_MODEL_NAME: 'tiny.en', JOBS_DIR: jobsDir },
    });
    t.equal(r.signal, null, `${c.name}: no signal`);
    const result = JSON.parse(r.stdout.trim().split('\n').pop());
    expectOutcome(t, c, result.error, result.output);
    t.equal(r.status, result.error ? 1 : 0, `${c.name}: exit code says the outcome`);
    t.ok(Date.now() - started < JOB_SECONDS * 1000, `${c.name}: ${Date.now() - started} ms`);
  }
  t.same(fs.readdirSync(jobsDir), [], 'JOBS_DIR is empty');
});

t.test('CLI: a one-line reason or a transcript, for each kind of case', async (t) => {
  // One of each kind (the library test runs them all): header refusals, bombs, a caught panic,
  // undecodable bytes, the empty file, paths that are not files, and successes.
  const kinds = ['wav-rate-0.wav', 'wav-rate-max.wav', 'wav-channels-65535.wav', 'ogg-rate-max.ogg', 'flac-10h-silence.flac', 'mp3-xing-huge.mp3',
    'm4a-duration-huge.m4a', 'm4a-timescale-0.m4a', 'random.bin', 'empty.wav', 'fifo.wav', 'directory.wav', '/dev/zero', 'wav-rate-1000.wav', 'wav-streamed.wav'];
  const cases = kinds.map((n) => all.find((c) => c.name === n && !c.options));
  t.equal(cases.filter(Boolean).length, kinds.length, 'every named case exists');
  for (const c of cases) {
    const started = Date.now();
    const r = spawnSync(process.execPath, [cli, 'transcribe', c.file, '--model', modelDir('tiny.en'), '--threads', '2', '--format', 'text'], { encoding: 'utf8', timeout: JOB_SECONDS * 1000 });
    t.equal(r.signal, null, `${c.name}: no signal`);
    const error = r.status === 0 ? undefined : r.stderr.trim();
    if (error) t.equal(error.split('\n').length, 1, `${c.name}: one line on stderr`);
    expectOutcome(t, c, error, r.stdout);
    t.ok(Date.now() - started < JOB_SECONDS * 1000, `${c.name}: ${Date.now() - started} ms`);
  }
});
