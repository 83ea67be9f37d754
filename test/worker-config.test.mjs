// The worker's settings are checked at start-up (a bad variable stops the worker with an error
// naming it), and a job's `model` may only name a directory under the model roots, a cached model,
// or an allowed Hub repository — with one message for "missing" and "not allowed".
import t from 'tap';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { root, fixture, tmpDir, modelDir, cache, runCli, assertWords } from './helpers.mjs';
import { startHubStandIn } from './servers.mjs';
import { configFromEnv, ConfigError } from '../lib/worker/config.js';
import { resolveJobModel, checkJobModel, resolveModel, defaultHubRepos } from '../lib/model-path.js';
import { HUB_MODELS } from '../lib/hub-download.js';
import { WORKER_SETTINGS } from '../lib/worker/settings-doc.js';

const cores = os.availableParallelism();

t.test('each bad variable is named with its value and what is expected', async (t) => {
  const cases = [
    ['MAX_AUDIO_BYTES', 'abc', /whole number of bytes, at least 1/],
    ['MAX_AUDIO_BYTES', '0', /whole number of bytes, at least 1/],
    ['MAX_AUDIO_BYTES', '1e9', /whole number of bytes/],
    ['MAX_AUDIO_BYTES', '-5', /whole number of bytes/],
    ['AUDIO_MAX_REDIRECTS', 'abc', /whole number from 0 to 20/],
    ['AUDIO_MAX_REDIRECTS', '-1', /whole number from 0 to 20/],
    ['AUDIO_MAX_REDIRECTS', '1.5', /whole number from 0 to 20/],
    ['AUDIO_MAX_REDIRECTS', '21', /whole number from 0 to 20/],
    ['AUDIO_CONNECT_TIMEOUT_MS', '0', /whole number of milliseconds from 1 to 2147483647/],
    ['AUDIO_CONNECT_TIMEOUT_MS', '10s', /whole number of milliseconds/],
    ['AUDIO_DOWNLOAD_TIMEOUT_MS', '3000000000', /whole number of milliseconds from 1 to 2147483647/],
    ['AUDIO_DOWNLOAD_TIMEOUT_MS', 'NaN', /whole number of milliseconds/],
    ['CPU_THREADS', '0', new RegExp(`whole number of threads from 1 to ${cores * 4}`)],
    ['CPU_THREADS', '100000', new RegExp(`from 1 to ${cores * 4} \\(at most 4 per core; ${cores} cores\\)`)],
    ['CPU_THREADS', 'all', /whole number of threads/],
    ['MAX_CACHED_MODELS', '0', /whole number of models from 1 to 16/],
    ['MAX_CACHED_MODELS', 'two', /whole number of models/],
    ['PRESIGN_TTL', '-1', /whole number of seconds from 1 to 604800/],
    ['PRESIGN_TTL', '999999999', /from 1 to 604800/],
    ['WHISPER_DEVICE', 'gpu', /one of auto, cpu, cuda/],
    ['WHISPERX_DEVICE', 'cuda:0', /one of auto, cpu, cuda/],
    ['COMPUTE_TYPE', 'int4', /one of auto, default, int8, int8_float32, int8_float16, int8_bfloat16, int16, float16, bfloat16, float32/],
    ['JOB_TIMEOUT_S', '0', /positive number of seconds, at most 2147483/],
    ['JOB_TIMEOUT_S', '-3', /positive number of seconds/],
    ['JOB_TIMEOUT_S', '1h', /positive number of seconds/],
    ['JOB_TIMEOUT_S', 'Infinity', /positive number of seconds/],
    ['MAX_AUDIO_SECONDS', '0', /positive number of seconds, at most 864000/],
    ['MAX_AUDIO_SECONDS', 'abc', /positive number of seconds/],
    ['MAX_AUDIO_SECONDS', '1e9', /positive number of seconds/],
    ['ALLOW_PRIVATE_AUDIO_URLS', 'maybe', /1, true, yes or on \(or 0, false, no, off\)/],
    ['MODEL_ROOTS', 'models:/srv/models', /absolute directories separated by ":" \("models" is not absolute\)/],
    ['ALLOWED_HUB_MODELS', 'tiny,../../etc', /model names .* or Hub repository ids "org\/name", or \* or none \("\.\.\/\.\.\/etc" is neither\)/],
    ['ALLOWED_HUB_MODELS', 'no-such-name', /"no-such-name" is neither/],
    ['SUPPORTED_LANGUAGES', 'english,dutch', /comma-separated language codes/],
    ['DEFAULT_LANGUAGE_CODE', 'english', /a language code such as en/],
    ['STORAGE_ENDPOINT', 'not a url', /an http\(s\) URL/],
  ];
  for (const [name, value, expected] of cases) {
    let err;
    try {
      configFromEnv({ [name]: value });
    } catch (e) {
      err = e;
    }
    t.ok(err instanceof ConfigError, `${name}=${value}: a ConfigError`);
    t.match(err?.message, `${name}=${JSON.stringify(value)}: expected `, `${name}=${value}: named with its value`);
    t.match(err?.message, expected, `${name}=${value}: what is expected`);
    t.equal(err?.problems?.length, 1, `${name}=${value}: one problem`);
  }
  t.throws(() => configFromEnv({ STORAGE_BUCKET: 'b', STORAGE_ACCESS_KEY: 'k' }), /STORAGE_BUCKET, STORAGE_ACCESS_KEY are set but STORAGE_SECRET_KEY is not/);

  // Several at once: one error, every variable in it, on one line.
  try {
    configFromEnv({ MAX_AUDIO_BYTES: 'abc', AUDIO_MAX_REDIRECTS: '-1', CPU_THREADS: '0', COMPUTE_TYPE: 'fp8' });
    t.fail('should throw');
  } catch (e) {
    t.equal(e.problems.length, 4);
    t.match(e.message, /^invalid worker settings: /);
    for (const v of ['MAX_AUDIO_BYTES="abc"', 'AUDIO_MAX_REDIRECTS="-1"', 'CPU_THREADS="0"', 'COMPUTE_TYPE="fp8"']) t.match(e.message, v);
    t.notMatch(e.message, /\n/, 'one line');
  }
});

t.test('good values, edges and defaults', async (t) => {
  const c = configFromEnv({});
  t.equal(c.limits.maxBytes, 1024 ** 3);
  t.equal(c.limits.maxRedirects, 5);
  t.equal(c.limits.allowPrivate, false);
  t.equal(c.jobTimeoutS, 3600);
  t.equal(c.maxAudioSeconds, 14400);
  t.equal(c.cpuThreads, cores);
  t.equal(c.device, 'auto');
  t.equal(c.computeType, 'auto');
  t.equal(c.model, 'small');
  t.same(c.modelPolicy.hubRepos, defaultHubRepos());
  t.equal(c.storage, undefined);
  const edges = configFromEnv({
    AUDIO_MAX_REDIRECTS: '0', CPU_THREADS: String(cores * 4), MAX_AUDIO_BYTES: ' 1024 ', JOB_TIMEOUT_S: '0.5', MAX_AUDIO_SECONDS: '60',
    WHISPER_DEVICE: 'CPU', COMPUTE_TYPE: 'INT8', ALLOW_PRIVATE_AUDIO_URLS: 'true', MAX_CACHED_MODELS: '16', PRESIGN_TTL: '604800',
    AUDIO_CONNECT_TIMEOUT_MS: '1', AUDIO_DOWNLOAD_TIMEOUT_MS: '2147483647', SUPPORTED_LANGUAGES: 'en, nl', DEFAULT_LANGUAGE_CODE: 'EN',
  });
  t.equal(edges.limits.maxRedirects, 0, 'AUDIO_MAX_REDIRECTS=0: no redirect followed');
  t.equal(edges.cpuThreads, cores * 4);
  t.equal(edges.limits.maxBytes, 1024);
  t.equal(edges.jobTimeoutS, 0.5);
  t.equal(edges.maxAudioSeconds, 60);
  t.equal(edges.device, 'cpu');
  t.equal(edges.computeType, 'int8');
  t.equal(edges.limits.allowPrivate, true);
  t.same(edges.supportedLanguages, ['en', 'nl']);
  t.equal(edges.defaultLanguage, 'en');
  t.equal(configFromEnv({ ALLOW_PRIVATE_AUDIO_URLS: '0' }).limits.allowPrivate, false);
  t.equal(configFromEnv({ WHISPER_DEVICE: 'cpu', WHISPERX_DEVICE: 'cuda' }).device, 'cuda', 'WHISPERX_DEVICE wins');
  t.equal(configFromEnv({ CPU_THREADS: '', MAX_AUDIO_BYTES: '  ' }).cpuThreads, cores, 'empty counts as unset');
  const storage = configFromEnv({ STORAGE_BUCKET: 'b', STORAGE_ACCESS_KEY: 'k', STORAGE_SECRET_KEY: 's', PRESIGN_TTL: '600' }).storage;
  t.equal(storage.presignTtl, 600);
  t.same(configFromEnv({ ALLOWED_HUB_MODELS: 'none' }).modelPolicy.hubRepos, []);
  t.equal(configFromEnv({ ALLOWED_HUB_MODELS: '*' }).modelPolicy.hubRepos, '*');
  t.same(configFromEnv({ ALLOWED_HUB_MODELS: 'tiny, Systran/faster-whisper-tiny, org/my-model' }).modelPolicy.hubRepos, ['Systran/faster-whisper-tiny', 'org/my-model']);
  const roots = configFromEnv({ CT2_WHISPER_CACHE: '/c', HF_HUB_CACHE: '/h' }).modelPolicy.roots;
  t.same(roots.slice(0, 2), ['/c/models', '/h'], 'default roots: the model cache and the hub cache');
  t.equal(roots.includes('/runpod-volume'), fs.existsSync('/runpod-volume'), '/runpod-volume when it exists');
  t.same(configFromEnv({ MODEL_ROOTS: '/a::/b/' }).modelPolicy.roots, ['/a', '/b/']);
  const dir = modelDir('tiny.en');
  const own = configFromEnv({ WHISPERX_MODEL_DIR: dir, MODEL_ROOTS: '/a' });
  t.equal(own.model, dir, 'WHISPERX_MODEL_DIR holding a model is the model');
  t.ok(own.modelPolicy.roots.includes(dir), "the worker's own model directory is a root");
  t.equal(configFromEnv({ WHISPERX_MODEL_DIR: '/no/such/dir' }).model, 'small', 'WHISPERX_MODEL_DIR without a model: the seed workers use it as a download folder');
});

/** Runs `ct2-whisper worker` on ./test_input.json (a base64 job is too long for a command line) to its end. */
function runWorker(t, input, env = {}) {
  const cwd = tmpDir(t);
  fs.writeFileSync(path.join(cwd, 'test_input.json'), JSON.stringify({ input }));
  const base = { ...process.env, WHISPER_MODEL_NAME: 'tiny.en', CPU_THREADS: '2' };
  for (const k of Object.keys(base)) if (k.startsWith('RUNPOD_') || k.startsWith('STORAGE_')) delete base[k];
  return runCli(['worker'], { cwd, env: { ...base, ...env } });
}

t.test('the worker started with a bad variable exits non-zero and names it', async (t) => {
  const input = { audio_base_64: fs.readFileSync(fixture('jfk.flac')).toString('base64') };
  const one = await runWorker(t, input, { MAX_AUDIO_BYTES: 'abc' });
  t.equal(one.status, 1);
  t.equal(one.signal, null);
  t.match(one.stderr, /^ct2-whisper: invalid worker settings: MAX_AUDIO_BYTES="abc": expected a whole number of bytes, at least 1$/m);
  t.equal(one.result, undefined, 'no job ran');
  const two = await runWorker(t, input, { AUDIO_MAX_REDIRECTS: '-1', JOB_TIMEOUT_S: 'soon' });
  t.equal(two.status, 1);
  t.match(two.stderr, /AUDIO_MAX_REDIRECTS="-1": expected a whole number from 0 to 20/);
  t.match(two.stderr, /JOB_TIMEOUT_S="soon": expected a positive number of seconds/);
  // The RunPod mode starts from the same settings.
  const rp = await runWorker(t, input, { RUNPOD_WEBHOOK_GET_JOB: 'http://127.0.0.1:9/job-take/$ID', RUNPOD_POD_ID: 'w', CPU_THREADS: '0' });
  t.equal(rp.status, 1);
  t.match(rp.stderr, /CPU_THREADS="0": expected a whole number of threads/);
});

/** A layout of model directories around a root: inside, outside, links out, a non-model. */
function layout(t) {
  const base = fs.realpathSync(tmpDir(t));
  const rootDir = path.join(base, 'root');
  const outside = path.join(base, 'outside', 'model');
  const linkFiles = (dir) => {
    fs.mkdirSync(dir, { recursive: true });
    for (const f of fs.readdirSync(modelDir('tiny.en'))) fs.symlinkSync(path.join(modelDir('tiny.en'), f), path.join(dir, f));
  };
  linkFiles(path.join(rootDir, 'good'));
  linkFiles(outside);
  fs.mkdirSync(path.join(rootDir, 'not-a-model'), { recursive: true });
  fs.writeFileSync(path.join(rootDir, 'not-a-model', 'config.json'), '{}');
  fs.symlinkSync(outside, path.join(rootDir, 'escape'));
  fs.symlinkSync(path.join(rootDir, 'good'), path.join(rootDir, 'alias'));
  fs.symlinkSync(rootDir, path.join(base, 'root-link'));
  fs.mkdirSync(path.join(rootDir, 'holder'));
  fs.symlinkSync(path.join(outside, 'model.bin'), path.join(rootDir, 'holder', 'model.bin'));
  return { base, rootDir, outside };
}

t.test('model selection by jobs: roots, the Hub allow-list, one message', async (t) => {
  const { base, rootDir, outside } = layout(t);
  const policy = { roots: [rootDir], hubRepos: defaultHubRepos(), configured: 'tiny.en' };
  const refusal = (m) => {
    const shown = JSON.stringify(m);
    return (e) => {
      t.equal(e.name, 'InputError', `${m}: an InputError`);
      t.ok(e.message.startsWith(`unknown model ${shown}: `), `${m}: ${e.message.slice(0, 80)}`);
      return e.message.slice(`unknown model ${shown}: `.length);
    };
  };
  const tails = new Set();
  const refused = [
    outside, // a model outside the roots
    path.join(rootDir, 'escape'), // a symlink out of the root
    path.join(rootDir, '..', 'outside', 'model'), // ".." out of the root
    `${rootDir}/good/../../outside/model`,
    path.join(rootDir, 'not-a-model'), // under the root, no model.bin
    path.join(rootDir, 'missing'), // missing
    path.join(rootDir, 'good', 'model.bin'), // a file
    '/no/such/dir',
    '/etc',
    '/',
    base,
    modelDir('tiny.en'), // the cache is not a root here
    'outside/model', // relative paths never reach the disk
    './root/good',
    '../root/good',
    '~/.cache',
    '..',
    '.',
    'constructor',
    '__proto__',
    'no-such-model',
    'someone/evil-model', // a Hub id not allowed
    'Systran/../../etc',
    `${rootDir}/good\0`,
  ];
  for (const m of refused) {
    let err;
    try {
      await resolveJobModel(m, policy);
    } catch (e) {
      err = e;
    }
    t.ok(err, `${m}: refused`);
    if (err) tails.add(refusal(m)(err));
  }
  t.equal(tails.size, 1, 'one message for missing and not allowed');
  t.match([...tails][0], /not a model this worker serves \(a name such as tiny\.en, tiny, .*turbo; a Hub repository id listed in ALLOWED_HUB_MODELS; or the absolute path of a model directory under MODEL_ROOTS\)/);
  t.notMatch([...tails][0], new RegExp(rootDir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')), 'the message does not name the roots');

  // Allowed: directories under a root (also through a link inside the root or a linked root).
  for (const [m, real] of [
    [path.join(rootDir, 'good'), path.join(rootDir, 'good')],
    [path.join(rootDir, 'alias'), path.join(rootDir, 'good')],
    [`${rootDir}/not-a-model/../good`, path.join(rootDir, 'good')],
    [path.join(rootDir, 'holder'), path.join(rootDir, 'holder')],
  ]) {
    const r = await resolveJobModel(m, policy);
    t.equal(r.source, 'path', `${m}: allowed`);
    t.equal(r.dir, real, `${m}: by its real path`);
  }
  const linkedRoot = await resolveJobModel(path.join(rootDir, 'good'), { ...policy, roots: [path.join(base, 'root-link')] });
  t.equal(linkedRoot.dir, path.join(rootDir, 'good'), 'a root given through a symlink');
  t.same(checkJobModel(path.join(rootDir, 'alias'), policy), { kind: 'dir', source: 'path', dir: path.join(rootDir, 'good') }, 'checkJobModel: the real directory');
  t.same(checkJobModel('tiny.en', policy), { kind: 'configured' }, 'checkJobModel: the configured model');
  // The worker's own model is always allowed, wherever it is.
  const own = await resolveJobModel(outside, { ...policy, configured: outside });
  t.equal(own.dir, outside, "the worker's configured model");
  // Names in the model cache, when the cache is a root.
  const cached = await resolveJobModel('tiny.en', { ...policy, configured: undefined, roots: [path.join(cache, 'models')] }, { cacheDir: cache });
  t.equal(cached.source, 'cache');
  t.equal(cached.dir, fs.realpathSync(modelDir('tiny.en')));
  // The library's resolver stays unrestricted.
  t.equal((await resolveModel(outside)).dir, outside, 'resolveModel: any directory');
  t.rejects(resolveJobModel(42, policy), /model must be a non-empty string/);
});

t.test('Hub ids from the allow-list only (stand-in Hub on loopback)', async (t) => {
  const repo = 'Systran/faster-whisper-tiny.en';
  t.equal(HUB_MODELS['tiny.en'], repo);
  const hub = await startHubStandIn(t, repo, modelDir('tiny.en'));
  // The library takes its locations as options (the worker maps HF_ENDPOINT, HF_HUB_CACHE and CT2_WHISPER_CACHE to them).
  const locations = { hub: { endpoint: hub.base, cacheDir: tmpDir(t) }, cacheDir: tmpDir(t) };
  const policy = { roots: [], hubRepos: defaultHubRepos() };
  const byId = await resolveJobModel(repo, policy, locations);
  t.equal(byId.source, 'hub', 'an allowed repository id');
  t.ok(fs.existsSync(path.join(byId.dir, 'model.bin')));
  const byName = await resolveJobModel('tiny.en', policy, locations);
  t.equal(byName.source, 'hub', 'an allowed name');
  t.equal(byName.dir, byId.dir);
  const lower = await resolveJobModel(repo.toLowerCase(), policy, locations);
  t.equal(lower.dir, byId.dir, 'repository ids compare without case, as the Hub does, and the allow-list spelling is fetched');
  const before = hub.requests.length;
  t.same(checkJobModel('tiny.en', policy, locations), { kind: 'hub', repo }, 'checkJobModel: a plan, nothing fetched');
  t.same(checkJobModel('SYSTRAN/Faster-Whisper-Tiny.en', policy, locations), { kind: 'hub', repo });
  t.throws(() => checkJobModel('someone/evil-model', policy, locations), { name: 'InputError', message: /^unknown model "someone\/evil-model": not a model this worker serves/ });
  for (const [m, p] of [
    [repo, { ...policy, hubRepos: [] }],
    ['tiny.en', { ...policy, hubRepos: ['Systran/faster-whisper-base'] }],
    ['other/faster-whisper-tiny.en', policy],
  ]) {
    await t.rejects(resolveJobModel(m, p, locations), { name: 'InputError', message: new RegExp(`^unknown model "${m.replace(/\./g, '\\.')}": not a model this worker serves`) }, `${m}: not allowed`);
  }
  t.equal(hub.requests.length, before, 'nothing asked of the Hub for a refused id');
  const any = await resolveJobModel(repo, { ...policy, hubRepos: '*' }, locations);
  t.equal(any.source, 'hub', '"*" allows any repository');
});

t.test('through the worker: a model outside the roots answers as a missing one', async (t) => {
  const { rootDir, outside } = layout(t);
  const input = (model) => ({ audio_base_64: fs.readFileSync(fixture('jfk.flac')).toString('base64'), model });
  const env = { MODEL_ROOTS: rootDir };
  const errors = [];
  for (const m of [outside, path.join(rootDir, 'escape'), path.join(rootDir, 'missing'), 'someone/evil-model']) {
    const r = await runWorker(t, input(m), env);
    t.equal(r.status, 1, `${m}: the job fails`);
    t.match(r.result?.error, new RegExp(`^unknown model ${JSON.stringify(m).replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: not a model this worker serves`), `${m}: ${r.result?.error?.slice(0, 100)}`);
    errors.push(r.result?.error?.replace(JSON.stringify(m), 'M'));
  }
  t.equal(new Set(errors).size, 1, 'the same message');
  const ok = await runWorker(t, input(path.join(rootDir, 'good')), env);
  t.equal(ok.status, 0, `a model under MODEL_ROOTS${ok.status ? `: ${ok.stdout.slice(-300)}` : ''}`);
  assertWords(t, ok.result?.output?.transcription ?? '');
});

t.test('worker --help and help worker: the flags and every setting the worker reads; exit 0', async (t) => {
  const help = await runCli(['worker', '--help'], { timeoutMs: 60_000 });
  t.equal(help.status, 0, 'worker --help exits 0');
  t.equal(help.stderr, '');
  t.match(help.stdout, /^usage: ct2-whisper worker /);
  for (const flag of ['--test_input', '--rp_serve_api', '--rp_api_port', '--rp_api_host']) t.match(help.stdout, flag, `the flag ${flag}`);
  // Every variable read by the worker's code is in the one list (settings-doc.ts) the help and docs/worker.md come from.
  const read = new Set();
  for (const file of ['src/worker/config.ts', 'src/worker/storage.ts', 'src/worker/runpod.ts', 'src/worker/logger.ts', 'src/env.ts']) {
    const src = fs.readFileSync(path.join(root, file), 'utf8');
    for (const m of src.matchAll(/\benv\.([A-Z][A-Z0-9_]+)|\b(?:raw|int|positive|flag|oneOf|num|value)\(\s*(?:env,\s*)?'([A-Z][A-Z0-9_]{2,})'|\{ ([A-Z][A-Z_, ]+) \} = env/g)) {
      for (const name of (m[1] ?? m[2] ?? m[3]).split(/,\s*/)) read.add(name.trim());
    }
  }
  const listed = new Set(WORKER_SETTINGS.flatMap((s) => s.names));
  const documented = (name) => listed.has(name) || (name.startsWith('RUNPOD_') && listed.has('RUNPOD_*')) || name === 'TMPDIR';
  t.ok(read.size >= 40, `${read.size} variables read`);
  for (const name of read) t.ok(documented(name), `${name} is in the worker's settings`);
  for (const name of listed) t.match(help.stdout, name, `--help lists ${name}`);
  const doc = fs.readFileSync(path.join(root, 'docs', 'worker.md'), 'utf8');
  for (const name of listed) t.match(doc, `\`${name}\``, `docs/worker.md lists ${name}`);
  const topic = await runCli(['help', 'worker'], { timeoutMs: 60_000 });
  t.equal(topic.status, 0);
  t.equal(topic.stdout, help.stdout, 'help worker prints the same');
  t.equal((await runCli(['worker', '-h'], { timeoutMs: 60_000 })).stdout, help.stdout, '-h too');
  const bad = await runCli(['worker', '--bogus'], { timeoutMs: 60_000 });
  t.equal(bad.status, 2, 'an unknown flag: exit 2');
  t.match(bad.stderr, /Unknown option '--bogus'[\s\S]*ct2-whisper worker --help/);
  const unknown = await runCli(['help', 'nope'], { timeoutMs: 60_000 });
  t.equal(unknown.status, 2, 'help on an unknown command: exit 2');
  t.match(unknown.stderr, /no help on "nope": the commands are .*worker/);
});
