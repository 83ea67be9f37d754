// No job sees a secret (issue 17, item 2): the operator's HF_TOKEN and a job's
// huggingface_access_token appear in no job output, no status or stream post, no log line (at
// debug level) and no uploaded artifact, under every combination of debug, diarization and a
// model downloaded from the Hub (a stand-in on loopback), with artifacts in S3 (moto).
import t from 'tap';
import fs from 'node:fs';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { S3Client, CreateBucketCommand } from '@aws-sdk/client-s3';
import { root, fixture, tmpDir, modelDir, words, JFK_WORDS } from './helpers.mjs';
import { startRunpodStandIn, startHubStandIn, startS3 } from './servers.mjs';

const OPERATOR_TOKEN = 'hf_OPERATORsecretToken0123456789abc';
const JOB_TOKEN = 'hf_JOBsecretToken9876543210xyz';
const REPO = 'Systran/faster-whisper-tiny.en';

/** Every place a secret could show, as one string: also split and base64 forms of the tokens are looked for. */
function leaks(text) {
  const found = [];
  for (const token of [OPERATOR_TOKEN, JOB_TOKEN]) {
    for (const form of [token, token.slice(3, 20), Buffer.from(token).toString('base64').slice(0, 24)]) {
      if (text.includes(form)) found.push(form);
    }
  }
  return found;
}

t.test('no token in outputs, posts, logs or artifacts', async (t) => {
  const hub = await startHubStandIn(t, REPO, modelDir('tiny.en'));
  const s3 = await startS3(t);
  const client = new S3Client({ endpoint: s3, region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId: 'k', secretAccessKey: 's' } });
  await client.send(new CreateBucketCommand({ Bucket: 'transcripts' }));
  client.destroy();
  const rp = await startRunpodStandIn(t);
  const env = {
    ...process.env,
    ...rp.env,
    RUNPOD_POD_ID: 'w1',
    RUNPOD_AI_API_KEY: 'test-key',
    RUNPOD_PING_INTERVAL: '300',
    RUNPOD_IDLE_DELAY_MS: '50',
    CPU_THREADS: '2',
    WHISPER_MODEL_NAME: 'tiny.en',
    CONSOLE_LOG_LEVEL: 'debug',
    HF_TOKEN: OPERATOR_TOKEN,
    HF_ENDPOINT: hub.base,
    HF_HUB_CACHE: tmpDir(t),
    ALLOWED_HUB_MODELS: REPO,
    JOBS_DIR: tmpDir(t),
    STORAGE_ENDPOINT: s3,
    STORAGE_BUCKET: 'transcripts',
    STORAGE_ACCESS_KEY: 'k',
    STORAGE_SECRET_KEY: 's',
    STORAGE_REGION: 'us-east-1',
  };
  for (const k of Object.keys(env)) if (k.startsWith('WHISPERX_')) delete env[k];
  const child = spawn(process.execPath, [path.join(root, 'lib', 'cli.js'), 'worker'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let logs = '';
  child.stdout.on('data', (b) => (logs += b));
  child.stderr.on('data', (b) => (logs += b));
  t.teardown(() => child.kill('SIGKILL'));

  const audio = fs.readFileSync(fixture('jfk.flac')).toString('base64');
  const ids = [];
  for (const debug of [true, false]) {
    for (const diarization of [true, false]) {
      for (const download of [true, false]) {
        for (const jobToken of [true, false]) {
          const id = `debug-${debug}-diarization-${diarization}-download-${download}-jobtoken-${jobToken}`;
          const input = { audio_base_64: audio, debug, diarization, output_formats: ['json', 'srt', 'vtt', 'text'], language: 'en' };
          if (download) input.model = REPO;
          if (jobToken) input.huggingface_access_token = JOB_TOKEN;
          rp.add({ id, input });
          ids.push(id);
        }
      }
    }
  }
  // A job that fails after the token is read (a model the worker may not download).
  rp.add({ id: 'refused-model', input: { audio_base_64: audio, model: 'someone/else', huggingface_access_token: JOB_TOKEN, debug: true, diarization: true } });

  for (const id of ids) {
    const r = await rp.result(id, 600_000);
    t.notOk(r.error, `${id}: ${r.error ?? 'done'}`);
    if (r.error) continue;
    t.equal(words(r.output.transcription), JFK_WORDS, `${id}: the transcript`);
    t.equal(!!r.output.debug, id.startsWith('debug-true'), `${id}: debug block as asked`);
    if (id.includes('diarization-true')) t.ok(r.output.speakers, `${id}: diarized`);
    if (id.includes('download-true')) t.equal(r.output.model, REPO, `${id}: the downloaded model`);
    const artifacts = r.output.artifacts ?? {};
    t.same(Object.keys(artifacts).sort(), ['json', 'srt', 'text', 'vtt'], `${id}: every artifact uploaded`);
    for (const [format, a] of Object.entries(artifacts)) {
      const body = await (await fetch(a.url)).text();
      t.same(leaks(body), [], `${id}: no token in the uploaded ${format}`);
    }
  }
  const refused = await rp.result('refused-model');
  t.match(refused.error, /someone\/else/, 'the refused model is named');
  t.ok(hub.requests.some((r) => r.includes('/resolve/')), 'the model was downloaded from the Hub stand-in');
  // The debug lines were written: what is looked through holds the job options.
  t.match(logs, /transcribe options/, 'the DEBUG log line of the options is there');
  t.same(leaks(logs), [], 'no token in any log line');
  const posts = JSON.stringify({ results: rp.state.results, progress: rp.state.progress, stream: rp.state.stream });
  t.same(leaks(posts), [], 'no token in any result, progress or stream post');
});
