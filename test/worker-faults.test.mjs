// Job errors against worker faults, with real failures: a corrupt model as the worker's own
// (WHISPER_MODEL_NAME=<dir>) is a worker fault (error-level log with its code, refresh_worker in the
// result, stopPod posted to RunPod), the same corrupt model named by a job is that job's error, and
// a missing VAD model (the worker's configuration, CT2_WHISPER_VAD_MODEL) is a worker fault that
// RunPod is asked to replace the worker for, while the worker goes on serving.
import t from 'tap';
import fs from 'node:fs';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { root, fixture, modelDir, tmpDir, runCli, assertWords } from './helpers.mjs';
import { startRunpodStandIn } from './servers.mjs';

const cli = path.join(root, 'lib', 'cli.js');
const b64 = (file) => fs.readFileSync(fixture(file)).toString('base64');

function baseEnv(extra) {
  const env = { ...process.env, WHISPER_MODEL_NAME: 'tiny.en', CPU_THREADS: '2' };
  for (const k of Object.keys(env)) if (k.startsWith('RUNPOD_') || k.startsWith('STORAGE_')) delete env[k];
  return { ...env, ...extra };
}

/** A model directory whose model.bin is not a model: the tokenizer and config are tiny.en's. */
function corruptModel(dir) {
  fs.mkdirSync(dir, { recursive: true });
  for (const f of fs.readdirSync(modelDir('tiny.en'))) if (f !== 'model.bin') fs.copyFileSync(path.join(modelDir('tiny.en'), f), path.join(dir, f));
  fs.writeFileSync(path.join(dir, 'model.bin'), Buffer.alloc(4096, 7));
  return dir;
}

/** Runs `ct2-whisper worker` on ./test_input.json to its end; `logs`: its JSON log lines. */
async function runJob(t, input, env) {
  const cwd = tmpDir(t);
  fs.writeFileSync(path.join(cwd, 'test_input.json'), JSON.stringify({ input }));
  const r = await runCli(['worker'], { cwd, env: baseEnv(env) });
  const logs = r.stderr.split('\n').filter(Boolean).map((l) => { try { return JSON.parse(l); } catch { return { raw: l }; } });
  return { ...r, logs };
}

t.test("a corrupt model: the worker's own is a worker fault, a job's is the job's error", async (t) => {
  const base = tmpDir(t);
  const bad = corruptModel(path.join(base, 'models', 'broken'));
  const input = { audio_base_64: b64('jfk.flac') };

  const own = await runJob(t, input, { WHISPER_MODEL_NAME: bad });
  t.equal(own.status, 1, 'the job fails');
  t.match(own.result?.error, new RegExp(`^the worker's model ${JSON.stringify(bad).replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} could not be loaded: .+`), `a clear error: ${own.result?.error}`);
  t.equal(own.result?.refresh_worker, true, 'refresh_worker: RunPod replaces the worker');
  const fault = own.logs.find((l) => l.level === 50 && /worker fault/.test(l.msg ?? ''));
  t.ok(fault, 'an error-level log line');
  t.ok(fault && 'code' in fault, `the log line has the code (${fault?.code})`);

  // The same directory named by a job (under MODEL_ROOTS): the job's model, the job's error.
  const named = await runJob(t, { ...input, model: bad }, { MODEL_ROOTS: base });
  t.equal(named.status, 1, 'the job fails');
  t.ok(named.result?.error, `an error: ${named.result?.error}`);
  t.notOk('refresh_worker' in (named.result ?? {}), 'no refresh_worker: the worker is fine');
  t.notMatch(named.result?.error, /worker's model|transcription failed/);
  t.notOk(named.logs.some((l) => l.level >= 50), 'no error-level log');
  t.ok(named.logs.some((l) => l.level === 40 && l.msg === 'job failed'), 'a warning');
});

t.test('RunPod: a worker fault posts stopPod with its error; job errors do not; the worker goes on', async (t) => {
  const rp = await startRunpodStandIn(t);
  const jobsDir = tmpDir(t);
  const missingVad = path.join(tmpDir(t), 'no', 'silero_vad_v6.onnx');
  const child = spawn(process.execPath, [cli, 'worker'], {
    env: baseEnv({ ...rp.env, RUNPOD_POD_ID: 'w1', RUNPOD_AI_API_KEY: 'k', RUNPOD_PING_INTERVAL: '300', RUNPOD_IDLE_DELAY_MS: '50', JOBS_DIR: jobsDir, CT2_WHISPER_VAD_MODEL: missingVad }),
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let logs = '';
  child.stderr.on('data', (b) => (logs += b));
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  t.teardown(() => child.kill('SIGKILL'));

  rp.add({ id: 'vad', input: { audio_base_64: b64('jfk.flac'), vad_filter: true } });
  rp.add({ id: 'bad-input', input: { audio_base_64: b64('jfk.flac'), beam_size: 0 } });
  rp.add({ id: 'good', input: { audio_base_64: b64('jfk.flac') } });
  const vad = await rp.result('vad');
  t.equal(vad.stopPod, true, 'stopPod: RunPod replaces the worker once the job is reported');
  t.notOk('refresh_worker' in vad, 'posted as runpod-python posts it');
  t.match(vad.error, /VAD model was not found at .*silero_vad_v6\.onnx.*pass vadModelPath.*CT2_WHISPER_VAD_MODEL/, `the job gets a clear error: ${vad.error}`);
  t.notOk(vad.output, 'no output');
  const bad = await rp.result('bad-input');
  t.match(bad.error, /beam_size: must be an integer of at least 1 and at most 10/);
  t.notOk('stopPod' in bad, 'a job error does not replace the worker');
  const good = await rp.result('good');
  assertWords(t, good.output.transcription, 'the next job is served');
  t.notOk('stopPod' in good);
  const lines = logs.split('\n').filter(Boolean).map((l) => JSON.parse(l));
  const fault = lines.find((l) => l.level === 50 && l.job_id === 'vad' && /worker fault/.test(l.msg));
  t.equal(fault?.code, 'ERR_MODEL', 'logged at error level with the code');
  t.notOk(lines.some((l) => l.level >= 50 && l.job_id === 'bad-input'), 'a job error is not logged as an error');
  t.equal(child.exitCode, null, 'the worker is still running');
  child.kill('SIGTERM');
  t.same(await exited, { code: 0, signal: null });
  t.same(fs.readdirSync(jobsDir), [], 'JOBS_DIR is empty');
});
