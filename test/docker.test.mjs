// The Dockerfile cannot be built here (no Docker, no registry for its base images), so this checks
// what can be checked on this machine: every file it copies exists and survives .dockerignore,
// every Debian package it installs exists, and the commands of its own that it runs (VAD fetch,
// install of the packed tarballs, model preload, the entrypoint running a job) succeed.
import t from 'tap';
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { root, fixture, modelDir, tmpDir, assertWords } from './helpers.mjs';

const dockerfile = fs.readFileSync(path.join(root, 'Dockerfile'), 'utf8').replace(/\\\n/g, ' ');
const instructions = dockerfile.split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
const sh = (cmd, args, opts = {}) => spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 << 20, timeout: 300_000, ...opts });

function ensureDist(t) {
  const dist = path.join(root, 'dist');
  // Packed again unless the tarballs are newer than the build they would hold.
  const built = Math.max(...['lib/index.js', 'native/ct2-whisper.linux-x64-gnu.node'].map((f) => fs.statSync(path.join(root, f)).mtimeMs));
  const tarballs = fs.existsSync(dist) ? fs.readdirSync(dist).filter((f) => f.endsWith('.tgz')) : [];
  if (tarballs.length < 2 || tarballs.some((f) => fs.statSync(path.join(dist, f)).mtimeMs < built)) {
    const r = sh('node', ['scripts/package.mjs', '--no-build'], { cwd: root });
    t.equal(r.status, 0, `npm run package: ${r.stderr}`);
  }
  return dist;
}

t.test('every file the Dockerfile copies exists and is in the build context', async (t) => {
  ensureDist(t);
  const keep = fs.readFileSync(path.join(root, '.dockerignore'), 'utf8').split('\n')
    .filter((l) => l.startsWith('!')).map((l) => l.slice(1).replace(/\/$/, ''));
  const copies = instructions.filter((l) => /^COPY /.test(l) && !/--from=/.test(l));
  t.ok(copies.length >= 4, 'COPY instructions found');
  for (const line of copies) {
    const sources = line.split(/\s+/).slice(1, -1);
    for (const src of sources) {
      const dir = path.join(root, path.dirname(src));
      const matches = src.endsWith('/') ? [src] : fs.readdirSync(dir).filter((f) => path.matchesGlob(f, path.basename(src)));
      t.ok(fs.existsSync(path.join(root, src.replace(/\/$/, ''))) || matches.length, `${src} exists`);
      const inContext = keep.some((k) => path.matchesGlob(src.replace(/\/$/, ''), k) || src.startsWith(`${k}/`) || (src.endsWith('/') && keep.some((p) => p.startsWith(src))));
      t.ok(inContext, `${src} is not excluded by .dockerignore`);
    }
  }
  t.ok(fs.readdirSync(path.join(root, 'dist')).filter((f) => f.endsWith('.tgz')).length === 2, 'dist/ holds both tarballs');
});

t.test('the Debian packages it installs exist', async (t) => {
  const names = new Set();
  for (const m of dockerfile.matchAll(/apt-get install -y --no-install-recommends ([^&\n]+)/g)) {
    for (const n of m[1].trim().split(/\s+/)) if (!n.startsWith('$') && n !== 'nodejs') names.add(n);
  }
  t.ok(names.has('ffmpeg') && names.has('python3-pip'), `packages: ${[...names].join(', ')}`);
  for (const n of names) t.equal(sh('apt-cache', ['show', '--no-all-versions', n]).status, 0, `apt-cache show ${n}`);
});

t.test('its commands run: VAD fetch, install of the tarballs, preload, the entrypoint on a job', async (t) => {
  const dist = ensureDist(t);
  const dir = tmpDir(t);
  const assets = path.join(dir, 'assets');
  const vad = sh('node', [path.join(root, 'scripts', 'fetch-models.mjs'), 'silero-vad'], { env: { ...process.env, CT2_WHISPER_CACHE: assets } });
  t.equal(vad.status, 0, vad.stderr);
  const vadFile = path.join(assets, 'models', 'silero_vad_v6.onnx');
  t.ok(fs.statSync(vadFile).size > 1_000_000, 'silero_vad_v6.onnx fetched');

  const app = path.join(dir, 'app');
  const inst = sh('sh', [path.join(root, 'docker', 'install-app.sh'), app, dist]);
  t.equal(inst.status, 0, inst.stderr);
  t.match(inst.stdout, /ct2-whisper installed: \d+ languages, 0 CUDA device\(s\)/);
  for (const f of ['test_input.json', 'docker/entrypoint.sh', 'docker/preload-model.mjs']) fs.copyFileSync(path.join(root, f), path.join(app, path.basename(f)));

  const pre = sh('node', [path.join(app, 'preload-model.mjs'), modelDir('tiny.en')], { cwd: app });
  t.equal(pre.status, 0, pre.stderr);
  t.match(pre.stdout, /preloaded .*tiny\.en/);

  const jobs = path.join(dir, 'jobs');
  const job = JSON.stringify({ input: { audio_base_64: fs.readFileSync(fixture('jfk.flac')).toString('base64'), vad_filter: true } });
  const env = { ...process.env, APP_DIR: app, JOBS_DIR: jobs, WHISPER_MODEL_NAME: modelDir('tiny.en'), CT2_WHISPER_VAD_MODEL: vadFile, HF_HOME: path.join(app, 'hf'), CPU_THREADS: '2' };
  for (const k of Object.keys(env)) if (k.startsWith('RUNPOD_') || k.startsWith('STORAGE_')) delete env[k];
  // The image's default job is app/test_input.json (an audio URL off this machine): ours replaces it.
  fs.writeFileSync(path.join(app, 'test_input.json'), job);
  const run = sh('sh', [path.join(app, 'entrypoint.sh')], { env, cwd: dir });
  t.equal(run.status, 0, run.stderr);
  const result = JSON.parse(run.stdout.trim().split('\n').pop());
  assertWords(t, result.output.transcription);
  t.equal(result.output.device, 'cpu', 'no GPU here: the worker falls back to the CPU');
  t.same(fs.readdirSync(jobs), [], 'the job left nothing in JOBS_DIR');
});
